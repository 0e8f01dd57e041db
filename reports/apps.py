from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from accounts import navigation
        from accounts.roles import Role

        navigation.register(
            navigation.MenuItem(
                _("Import"),
                "reports:import",
                (Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR),
                80,
            )
        )
