"""Django's migrate with the long statement budget of the commands.

Every connection of the app starts with the web requests' short statement
limit (DB_STATEMENT_TIMEOUT_MS, config/settings/base.py); a migration that
builds an index or rewrites a large table needs longer, as annual_report,
import_records and seed_scale do (accounts.timeouts.statement_budget)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from accounts.timeouts import statement_budget


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with statement_budget():
            return super().handle(*args, **options)
