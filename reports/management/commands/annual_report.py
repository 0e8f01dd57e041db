"""python manage.py annual_report --fiscal-year 2021 [--programme ID]
--format json|pdf|xlsx|csv [--output FILE] [--publication]  (SPEC §3)"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from accounts import replica as replicas
from accounts.audit import Action, audit, audit_context
from accounts.timeouts import statement_budget
from reports import selectors
from reports.exports import EXPORT_FORMATS, export_report
from reports.models import Programme

TEXT_FORMATS = ("json", "csv")


class Command(BaseCommand):
    help = (
        "Write the annual report of a fiscal year (April–March, e.g. 2021 for "
        "令和3年度) as JSON, PDF, XLSX or CSV. JSON and CSV go to standard output "
        "when no --output is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fiscal-year", type=int, required=True)
        parser.add_argument(
            "--programme",
            type=int,
            help="Programme id: count only the records attributed to it (default: "
            "the fiscal year's only programme, if any).",
        )
        parser.add_argument(
            "--format", dest="fmt", choices=sorted(EXPORT_FORMATS), default="json"
        )
        parser.add_argument("--output", type=Path, help="File to write.")
        parser.add_argument(
            "--publication",
            action="store_true",
            help='Show counts from 1 to 4 as "<5".',
        )
        parser.add_argument(
            "--user", default="", help="Username recorded in the audit trail."
        )
        parser.add_argument(
            "--replica",
            action="store_true",
            help="Read the figures on the read replica (DATABASE_REPLICA_URL) "
            "while it answers and is current; else on the primary.",
        )

    def handle(self, *args, replica=False, **options):
        if not (replica and replicas.configured() and replicas.check().ok):
            return self._handle(**options)
        with replicas.replica_reads(), statement_budget(using=replicas.REPLICA):
            return self._handle(**options)

    def _handle(
        self, *args, fiscal_year, programme, fmt, output, publication, user, **options
    ):
        if not 1989 <= fiscal_year <= 2100:
            raise CommandError("--fiscal-year must be a year such as 2021.")
        if output is None and fmt not in TEXT_FORMATS:
            raise CommandError(f"--format {fmt} needs --output FILE.")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user, is_active=True).first()
            if by is None:
                raise CommandError(f"No active user {user!r}.")
        chosen = self._programme(fiscal_year, programme, by)
        report_options = {
            "fiscal_year": fiscal_year,
            "programme": chosen,
            "publication": publication,
        }
        with audit_context(path="manage.py annual_report"), statement_budget():
            content = export_report(report_options, fmt)
            audit(
                user=by,
                action=Action.EXPORT,
                object_type="reports.annual_report",
                detail=f"fiscal year {fiscal_year}; programme "
                f"{chosen.pk if chosen else '-'}; {fmt}"
                + ("; publication" if publication else ""),
            )
        if output is None:
            text = content.decode("utf-8").removeprefix("\ufeff")
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
            return
        output.write_bytes(content)
        self.stderr.write(f"{output} ({len(content):,} bytes)")

    def _programme(self, fiscal_year: int, programme_id: int | None, by):
        """The programme whose records the report counts (selectors.annual_report
        computes it in the scope of its organisation). With --user, only a
        programme that user may see in the browser (the same rule:
        selectors.programme_for); without, any (the operator's tool)."""
        if programme_id is not None:
            try:
                if by is None:
                    chosen = selectors.programme_detail(programme_id)
                else:
                    chosen = selectors.programme_for(by, programme_id, detail=True)
            except (Programme.DoesNotExist, Http404):
                raise CommandError(f"No programme {programme_id}.") from None
            except PermissionDenied:
                raise CommandError(
                    f"User {by.username!r} may not see programme {programme_id}."
                ) from None
            if chosen.fiscal_year != fiscal_year:
                raise CommandError(
                    f"Programme {programme_id} is of fiscal year {chosen.fiscal_year}."
                )
            return chosen
        programmes = selectors.programmes_of_year(fiscal_year, by)
        if len(programmes) > 1:
            ids = ", ".join(str(p.pk) for p in programmes)
            raise CommandError(
                f"Fiscal year {fiscal_year} has several programmes ({ids}): "
                "choose one with --programme."
            )
        return selectors.programme_detail(programmes[0].pk) if programmes else None
