from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShelterConfig(AppConfig):
    name = "shelter"
    verbose_name = _("Places (shelter and salon)")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role
        from consultations import anonymise, timeline
        from consultations.line import desk_hours

        from . import demo as shelter_demo
        from . import home_sections
        from . import timeline as shelter_timeline
        from .line_desk import line_desk_hours

        anonymise.register(wipe_client_notes)
        coordinator = (Role.COORDINATOR,)
        for label, url_name, order in (
            (_("Room calendar"), "shelter:calendar", 30),
            (_("Stays"), "shelter:stay_list", 31),
            (_("Salon"), "shelter:salon_list", 32),
            (_("Opening days"), "shelter:opening_days", 33),
        ):
            navigation.register(
                navigation.MenuItem(label, url_name, coordinator, order)
            )
        home.register(home.Section(coordinator, home_sections.coordinator, 30))
        demo.register(demo.Seeder("places", shelter_demo.seed_places, 30))
        demo.register(demo.Seeder("salon", shelter_demo.seed_second_salon, 130, "b"))
        timeline.register(shelter_timeline.client_entries)
        desk_hours.register(line_desk_hours)


def wipe_client_notes(client) -> None:
    """Anonymising a client: the notes of their unmet requests go."""
    from .models import UnmetRequest

    UnmetRequest.objects.filter(client=client).update(note="")
