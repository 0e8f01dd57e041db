from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    name = "devtools"
    verbose_name = _("Development tools")

    def ready(self):
        from accounts import navigation
        from accounts.roles import Role

        if getattr(settings, "LINE_SIMULATOR", False):
            navigation.register(
                navigation.MenuItem(
                    _("LINE simulator (demo)"),
                    "line_simulator:index",
                    (Role.COUNSELLOR,),
                    95,
                )
            )
