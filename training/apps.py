from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training events")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role
        from consultations import anonymise, timeline

        from . import demo as training_demo
        from . import home_sections
        from .timeline import talks_given

        anonymise.register(wipe_talk_titles)
        navigation.register(
            navigation.MenuItem(
                _("Training"), "training:event_list", (Role.FACILITATOR,), 45
            )
        )
        home.register(home.Section((Role.FACILITATOR,), home_sections.facilitator, 45))
        timeline.register(talks_given)
        demo.register(demo.Seeder("training events", training_demo.seed_events, 45))
        demo.register(
            demo.Seeder("training event", training_demo.seed_second_event, 145, "b")
        )


def wipe_talk_titles(client) -> None:
    """Anonymising a client: the titles of the talks they gave go (the talks,
    and so the speaker counts, stay)."""
    from .models import Speaker

    Speaker.objects.filter(client=client).update(talk_title="")
