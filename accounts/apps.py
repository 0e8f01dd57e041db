from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and audit trail")

    def ready(self):
        from django.apps import apps

        from . import checks, dataversion, middleware, navigation, roles  # noqa: F401 (checks)
        from .third_party import label_third_party_apps

        label_third_party_apps(apps)

        # Signing in saves the session with a fresh expiry: count it as seen.
        user_logged_in.connect(
            middleware.SessionIdleMiddleware.signed_in, dispatch_uid="ibasho-seen"
        )

        # Keep each role's Django permissions in step as apps add models.
        post_migrate.connect(
            roles.sync_role_permissions_signal, dispatch_uid="ibasho-roles"
        )
        # The triggers behind the records cache's token (accounts.dataversion).
        pre_migrate.connect(
            dataversion.pre_migrate_signal, dispatch_uid="ibasho-dataversion"
        )
        post_migrate.connect(
            dataversion.post_migrate_signal, dispatch_uid="ibasho-dataversion"
        )
        request_started.connect(dataversion._memo_on, dispatch_uid="ibasho-token")
        request_finished.connect(dataversion._memo_off, dispatch_uid="ibasho-token")
        navigation.register(
            navigation.MenuItem(
                _("Audit trail"),
                "admin:accounts_auditentry_changelist",
                roles.ADMIN_ONLY,
                90,
            )
        )
        navigation.register(
            navigation.MenuItem(
                _("Administration"), "admin:index", roles.ADMIN_ONLY, 95
            )
        )
