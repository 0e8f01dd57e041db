"""What LINE intake plugs into the shared registries; called from
ConsultationsConfig.ready()."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from accounts import demo, navigation
    from accounts.roles import Role

    from .. import timeline
    from . import demo as line_demo
    from . import timeline as line_timeline

    navigation.register(
        navigation.MenuItem(_("LINE desk"), "line:inbox", (Role.COUNSELLOR,), 15)
    )
    navigation.register(
        navigation.MenuItem(_("LINE status"), "line:status", (Role.ADMIN,), 88)
    )
    demo.register(demo.Seeder("line", line_demo.seed_conversations, 30))
    timeline.register(line_timeline.line_conversations)
