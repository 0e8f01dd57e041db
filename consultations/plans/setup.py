"""What assessments, plans and closures plug into the shared registries;
called from ConsultationsConfig.ready()."""


def register() -> None:
    from .. import anonymise

    anonymise.register(wipe)


def wipe(client) -> None:
    """Anonymising a client wipes the free texts about her: her words in the
    plans, the goals, the tasks, the reasons and notes. The records (levels,
    dates, statuses) stay; a text a database rule requires becomes the
    marker."""
    from django.db.models import Q

    from ..anonymise import ANONYMISED_NAME
    from .models import ClosureRequest, PlanTask, SupportPlan, UrgencyAssessment

    UrgencyAssessment.objects.filter(client=client).exclude(reason="").update(
        reason=ANONYMISED_NAME
    )
    SupportPlan.objects.filter(client=client).update(
        wishes=ANONYMISED_NAME, goals=ANONYMISED_NAME
    )
    PlanTask.objects.filter(plan__client=client).update(description=ANONYMISED_NAME)
    ClosureRequest.objects.filter(client=client).update(note="")
    ClosureRequest.objects.filter(Q(client=client) & ~Q(decision_note="")).update(
        decision_note=ANONYMISED_NAME
    )
