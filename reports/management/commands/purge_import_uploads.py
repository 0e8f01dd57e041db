from django.conf import settings
from django.core.management.base import BaseCommand

from reports.jobs import import_uploads_purge


class Command(BaseCommand):
    help = (
        "Delete browser import uploads that were neither imported nor cancelled "
        "within IMPORT_STASH_HOURS (the task worker also does it as each upload "
        "expires; run this from cron where no worker runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=float,
            default=None,
            help=f"Age in hours (default: IMPORT_STASH_HOURS, "
            f"{settings.IMPORT_STASH_HOURS}).",
        )

    def handle(self, *args, hours, **options):
        deleted = import_uploads_purge(hours=hours)
        self.stdout.write(f"{deleted} waiting uploads deleted.")
