"""python manage.py rotate_line_secrets: encrypt every LINE official
account's channel secret and access token again with the newest key of
LINE_SECRETS_KEYS (consultations.line.secrets)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.audit import Action, audit, audit_context
from consultations.line import secrets
from consultations.line.models import LineChannel


class Command(BaseCommand):
    help = (
        "Re-encrypt every LINE official account's channel secret and access "
        "token with the first (newest) key of LINE_SECRETS_KEYS, in one "
        "transaction. Rotation: put a new key first in LINE_SECRETS_KEYS, "
        "restart, run this command, then drop the old key and restart."
    )

    def handle(self, *args, **options):
        with audit_context(path="command rotate_line_secrets"), transaction.atomic():
            # Every organisation's accounts (a command runs unscoped), locked
            # so that an admin's change cannot be lost in between.
            channels = list(
                LineChannel._base_manager.select_for_update().order_by("pk")
            )
            counts = {"secret_encrypted": 0, "access_token_encrypted": 0}
            for channel in channels:
                for field in counts:
                    value = getattr(channel, field)
                    if not value:
                        continue
                    try:
                        setattr(channel, field, secrets.rotate(value))
                    except secrets.InvalidToken:
                        raise CommandError(
                            f"LINE account #{channel.pk}: its {field} opens with "
                            "none of the keys of LINE_SECRETS_KEYS. Nothing was "
                            "changed."
                        ) from None
                    counts[field] += 1
            LineChannel._base_manager.bulk_update(channels, list(counts))
            for channel in channels:
                audit(
                    user=None,
                    action=Action.CHANGE,
                    obj=channel,
                    detail="secrets re-encrypted with the newest key",
                )
        self.stdout.write(
            f"{len(channels)} LINE accounts: {counts['secret_encrypted']} channel "
            f"secrets and {counts['access_token_encrypted']} access tokens "
            "re-encrypted with the newest key."
        )
