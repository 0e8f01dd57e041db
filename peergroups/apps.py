from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeergroupsConfig(AppConfig):
    name = "peergroups"
    verbose_name = _("Peer-support groups")

    def ready(self):
        from accounts import demo, home, navigation
        from accounts.roles import Role
        from consultations import timeline

        from . import demo as peergroups_demo
        from . import home_sections
        from .timeline import sessions_attended

        navigation.register(
            navigation.MenuItem(
                _("Peer support"), "peergroups:session_list", (Role.FACILITATOR,), 40
            )
        )
        home.register(home.Section((Role.FACILITATOR,), home_sections.facilitator, 40))
        timeline.register(sessions_attended)
        demo.register(demo.Seeder("peer sessions", peergroups_demo.seed_sessions, 40))
        demo.register(
            demo.Seeder("peer group", peergroups_demo.seed_second_group, 140, "b")
        )
