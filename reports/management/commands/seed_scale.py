import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import scoping
from accounts.audit import audit_context
from accounts.timeouts import statement_budget
from consultations.models import Client, Consultation
from reports.scale import ScaleConfig, ScaleSeeder


class Command(BaseCommand):
    help = (
        "Fill an empty database with a large, fictional, deterministic data set "
        "for benchmarks (SPEC §4): by default 10k clients, 100k consultations and "
        "20k stays over five fiscal years ending with the fiscal year of --until. "
        "Refused with production settings."
    )

    def add_arguments(self, parser):
        defaults = ScaleConfig()
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="The last day with records (ISO date; default today). Give it "
            "to reproduce a data set exactly.",
        )
        parser.add_argument("--clients", type=int, default=defaults.clients)
        parser.add_argument("--consultations", type=int, default=defaults.consultations)
        parser.add_argument("--stays", type=int, default=defaults.stays)
        parser.add_argument("--years", type=int, default=defaults.years)
        parser.add_argument("--line-messages", type=int, default=defaults.line_messages)
        parser.add_argument(
            "--organisation",
            type=int,
            default=None,
            help="Id of the organisation the data set goes to (required when "
            "the database has several).",
        )

    def handle(self, *args, **options):
        if not settings.SEED_DEMO_ALLOWED:
            raise CommandError(
                "seed_scale is refused with these settings (production)."
            )
        organisation = scoping.command_organisation(options["organisation"])
        if Client.objects.exists() or Consultation.objects.exists():
            raise CommandError(
                "seed_scale needs an empty database (no clients or consultations yet)."
            )
        config = ScaleConfig(
            seed=options["seed"],
            clients=options["clients"],
            consultations=options["consultations"],
            stays=options["stays"],
            years=options["years"],
            line_messages=options["line_messages"],
            line_users=max(1, options["line_messages"] // 10),
        )
        if options["until"]:
            config.until = options["until"]
        if config.consultations < config.clients:
            raise CommandError("Give at least one consultation per client.")
        self.stdout.write(
            f"Seeding {config.start} – {config.until} on {connection.vendor} "
            f"(seed {config.seed}):"
        )
        began = time.perf_counter()
        with statement_budget():
            with (
                transaction.atomic(),
                audit_context(path="manage.py seed_scale"),
                scoping.organisations([organisation]),
            ):
                counts = ScaleSeeder(config, log=self.stdout.write).run()
            if connection.vendor == "postgresql":
                # What autovacuum would do in a while: statistics for the
                # planner and the visibility map that index-only scans need.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
        for label, count in counts.items():
            self.stdout.write(f"  {label:<36} {count:>8}")
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.perf_counter() - began:.0f} s.")
        )
