from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    name = "devtools"
    verbose_name = _("Development tools")

    def ready(self):
        from accounts import demo, navigation
        from accounts.roles import Role

        if getattr(settings, "LINE_SIMULATOR", False):
            from .demo import seed_simulated_people

            # After the LINE conversations (order 30): their people become
            # friends the stand-in knows, so that the worker finds a profile.
            demo.register(demo.Seeder("line_simulator", seed_simulated_people, 31))
            navigation.register(
                navigation.MenuItem(
                    _("LINE simulator (demo)"),
                    "line_simulator:index",
                    (Role.COUNSELLOR,),
                    95,
                )
            )
