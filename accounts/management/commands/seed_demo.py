import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo, scoping
from accounts.audit import audit_context
from accounts.models import DemoData


class Command(BaseCommand):
    help = (
        "Create a fictional, deterministic fiscal year of demo data in two "
        "organisations, with three programmes of two funders, and demo users "
        "of each. Does nothing if the demo users already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=2021,
            help="Random seed (the same seed gives the same data).",
        )

    def handle(self, *args, seed, **options):
        if not settings.SEED_DEMO_ALLOWED:
            raise CommandError("seed_demo is refused with these settings (production).")
        if get_user_model().objects.filter(username=demo.DEMO_USERS[0][0]).exists():
            self.stdout.write("Demo data already present; nothing to do.")
        else:
            ctx = demo.DemoContext(
                rng=random.Random(seed), fiscal_year=demo.DEMO_FISCAL_YEAR
            )
            with transaction.atomic(), audit_context(path="manage.py seed_demo"):
                demo.create_organisations(ctx)
                # Pages open on the demo's year (accounts.opening).
                DemoData.objects.create(pk=1, fiscal_year=ctx.fiscal_year)
                for seeder in demo.seeders():
                    # Its records belong to its organisation (accounts.scoping).
                    org = ctx.organisations[seeder.organisation]
                    with scoping.organisations([org.pk]):
                        summary = seeder.run(ctx)
                    self.stdout.write(f"  {seeder.name} ({org.name}): {summary}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        )
        for username, roles, where in demo.logins():
            self.stdout.write(
                f"  {username:<15} "
                f"{', '.join(f'{r.value} {r.label}' for r in roles)} ({where})"
            )
