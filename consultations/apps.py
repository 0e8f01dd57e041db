from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role

        from . import demo as consultations_demo
        from . import home_sections

        navigation.register(
            navigation.MenuItem(
                _("Clients"), "consultations:client_list", (Role.COUNSELLOR,), 10
            )
        )
        home.register(home.Section((Role.COUNSELLOR,), home_sections.counsellor, 10))
        demo.register(demo.Seeder("clients", consultations_demo.seed_clients, 10))

        from .line import setup as line_setup

        line_setup.register()
