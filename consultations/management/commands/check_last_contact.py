"""python manage.py check_last_contact [--fix]: compare every client's cached
last contact (Client.last_contact_on) with her consultations and support
actions; list the client ids that differ (exit status 1), or with --fix
recompute them."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from consultations.casework import client_refresh_last_contact, last_contact_stale


class Command(BaseCommand):
    help = (
        "Check that each client's cached last contact matches her consultations "
        "and support actions; --fix recomputes the ones that differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true")

    def handle(self, *args, fix=False, **options):
        with transaction.atomic():
            stale = list(last_contact_stale().values_list("pk", flat=True))
            if stale and fix:
                client_refresh_last_contact(stale)
        if not stale:
            self.stdout.write("Every client's last contact is up to date.")
        elif fix:
            self.stdout.write(f"Recomputed the last contact of {len(stale)} clients.")
        else:
            raise CommandError(
                f"{len(stale)} clients have a stale last contact (ids: "
                f"{', '.join(map(str, stale[:20]))}{' …' if len(stale) > 20 else ''}); "
                "run with --fix."
            )
