from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.audit import audit_context
from accounts.models import Organisation
from accounts.timeouts import statement_budget
from reports.imports import KINDS, ImportFileError, read_dataset, run_import


class Command(BaseCommand):
    help = (
        "Import a .csv (UTF-8) or .xlsx file of one KIND (SPEC §3). The file is "
        "imported whole or not at all; bad rows are listed and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and write nothing."
        )
        parser.add_argument(
            "--user",
            default="",
            help="Username recorded as the importer in the audit trail; the "
            "rows are written into (and names looked up in) her organisation.",
        )
        parser.add_argument(
            "--organisation",
            type=int,
            help="Organisation id to write into (default: the --user's one "
            "organisation, else the database's only organisation).",
        )

    def handle(self, *args, kind, file, dry_run, user, organisation, **options):
        if not KINDS[kind].available():
            raise CommandError(f"The {kind} import is not available yet.")
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user, is_active=True).first()
            if by is None:
                raise CommandError(f"No active user {user!r}.")
        if organisation is not None:
            if not Organisation.objects.filter(pk=organisation).exists():
                raise CommandError(f"No organisation {organisation}.")
            if by is not None and not by.organisations.filter(pk=organisation).exists():
                raise CommandError(f"{user!r} is not a member of {organisation}.")
        try:
            dataset = read_dataset(file.name, file.read_bytes())
            with (
                audit_context(path=f"manage.py import_records {kind}"),
                statement_budget(),
            ):
                outcome = run_import(
                    kind,
                    dataset,
                    by=by,
                    dry_run=dry_run,
                    organisation_id=organisation,
                )
        except ImportFileError as exc:
            self.stderr.write(f"{file.name}: {exc}")
            raise SystemExit(1) from exc
        for error in outcome.errors:
            self.stderr.write(
                _("Row %(row)d: %(message)s")
                % {"row": error.row, "message": error.message}
            )
        counts = {
            "bad": len(outcome.errors),
            "total": outcome.total_rows,
            "written": outcome.written,
        }
        if outcome.errors:
            self.stderr.write(
                self.style.ERROR(
                    _("%(bad)d of %(total)d rows are bad: nothing was imported.")
                    % counts
                )
            )
            raise SystemExit(1)
        if dry_run:
            self.stdout.write(
                _("%(total)d rows checked, no errors (dry run: nothing written).")
                % counts
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("%(written)d rows imported.") % counts)
            )
