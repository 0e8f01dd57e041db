"""What the coordination meetings plug into the shared registries; called
from ConsultationsConfig.ready()."""


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts import navigation
    from accounts.roles import Role

    from .. import anonymise
    from .services import wipe_texts

    anonymise.register(wipe_texts)
    navigation.register(
        navigation.MenuItem(
            _("Coordination meetings"),
            "consultations:meeting_list",
            (Role.COUNSELLOR,),
            12,
        )
    )
