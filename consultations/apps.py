from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role

        from . import demo as consultations_demo
        from . import home_sections, timeline, timeline_entries

        navigation.register(
            navigation.MenuItem(
                _("Clients"), "consultations:client_list", (Role.COUNSELLOR,), 10
            )
        )
        navigation.register(
            navigation.MenuItem(
                _("Consultations"),
                "consultations:consultation_list",
                (Role.COUNSELLOR,),
                11,
            )
        )
        timeline.register(timeline_entries.consultations_and_support)
        home.register(home.Section((Role.COUNSELLOR,), home_sections.counsellor, 10))
        demo.register(demo.Seeder("clients", consultations_demo.seed_clients, 10))
        demo.register(
            demo.Seeder("consultations", consultations_demo.seed_consultations, 20)
        )
        demo.register(demo.Seeder("casework", consultations_demo.seed_casework, 90))
        demo.register(
            demo.Seeder("desk", consultations_demo.seed_second_desk, 110, "b")
        )

        from .line import setup as line_setup

        line_setup.register()

        from .plans import setup as plans_setup

        plans_setup.register()

        from .meetings import setup as meetings_setup

        meetings_setup.register()
