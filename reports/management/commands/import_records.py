from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.audit import audit_context
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
            help="Username recorded as the importer in the audit trail "
            "(a member of the organisation).",
        )
        parser.add_argument(
            "--organisation",
            type=int,
            default=None,
            help="Id of the organisation the records belong to (required when "
            "the database has several).",
        )

    def handle(self, *args, kind, file, dry_run, user, organisation, **options):
        if not KINDS[kind].available():
            raise CommandError(f"The {kind} import is not available yet.")
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        organisation = scoping.command_organisation(organisation)
        by = None
        if user:
            by = (
                scoping.members_of([organisation])
                .filter(username=user, is_active=True)
                .first()
            )
            if by is None:
                raise CommandError(
                    f"No active user {user!r} in organisation {organisation}."
                )
        try:
            dataset = read_dataset(file.name, file.read_bytes())
            # Client codes, 担当者 and new records: this organisation's only.
            with (
                audit_context(path=f"manage.py import_records {kind}"),
                statement_budget(),
                scoping.organisations([organisation]),
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
