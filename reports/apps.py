from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role
        from consultations import anonymise

        from . import attribution, home_sections, jobs
        from . import demo as reports_demo

        # A new record without a programme takes the one its rules give.
        attribution.connect()

        # Uploads waiting to be imported may name the client: anonymising
        # deletes them (reports/jobs.py, import_uploads_wipe).
        anonymise.register(jobs.import_uploads_wipe)

        navigation.register(
            navigation.MenuItem(
                _("Import"),
                "reports:import",
                (Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR),
                80,
            )
        )
        navigation.register(
            navigation.MenuItem(
                _("Annual report"), "reports:annual", (Role.CITY_STAFF,), 70
            )
        )
        navigation.register(
            navigation.MenuItem(
                _("Programmes"), "reports:index", (Role.CITY_STAFF,), 71
            )
        )
        navigation.register(
            navigation.MenuItem(
                _("Data quality"), "reports:data_quality", (Role.ADMIN,), 72
            )
        )
        home.register(home.Section((Role.CITY_STAFF,), home_sections.city_staff, 70))
        demo.register(demo.Seeder("programmes", reports_demo.seed_programmes, 95))
        demo.register(
            demo.Seeder("programme", reports_demo.seed_second_programme, 150, "b")
        )
        # Last: every record of the demo year falls under its programme.
        demo.register(demo.Seeder("attribution", reports_demo.attribute, 190))
        demo.register(demo.Seeder("attribution", reports_demo.attribute, 191, "b"))
