"""Demo data of the LINE simulator: the people of the demo's LINE
conversations, known to the stand-in Messaging API as friends of the account,
so that their profiles (name, friendship) are found as a real LINE account
would find them, and a counsellor can go on writing as them in the simulator.
"""

from consultations.models import LineUser

from .models import SimulatedPerson


def seed_simulated_people(ctx) -> str:
    known = set(SimulatedPerson.objects.values_list("line_user_id", flat=True))
    people = [
        SimulatedPerson(
            line_user_id=user.line_user_id,
            # LINE display names are at most 20 characters.
            display_name=(user.display_name or "LINE")[:20],
            is_following=True,
            channel_id=user.channel_id,
        )
        for user in LineUser.objects.order_by("pk")
        if user.line_user_id not in known
    ]
    SimulatedPerson.objects.bulk_create(people)
    return f"{len(people)} simulated LINE users for the demo conversations"
