from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training events")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role
        from consultations import timeline

        from . import demo as training_demo
        from . import home_sections
        from .timeline import talks_given

        navigation.register(
            navigation.MenuItem(
                _("Training"), "training:event_list", (Role.FACILITATOR,), 45
            )
        )
        home.register(home.Section((Role.FACILITATOR,), home_sections.facilitator, 45))
        timeline.register(talks_given)
        demo.register(demo.Seeder("training events", training_demo.seed_events, 45))
