"""Imports of SPEC §3: one runner for the CLI and the browser.

A file is imported whole or not at all: the rows are written inside one
transaction, which is rolled back if any row is bad (or for a dry run). Every
bad row is reported with its row number as a spreadsheet shows it (the header
is row 1, the first data row is row 2) and the reason.

Each kind names a django-import-export resource in its app's resources.py.
A resource is built as ``Resource(by=user)`` and may define ``required_columns``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import Action, audit
from accounts.roles import Role, has_role


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str
    resource_path: str  # "app.resources.ClassName"
    roles: tuple[str, ...]

    def resource_class(self):
        module_name, class_name = self.resource_path.rsplit(".", 1)
        return getattr(importlib.import_module(module_name), class_name)

    def available(self) -> bool:
        try:
            self.resource_class()
        except (ImportError, AttributeError):
            return False
        return True


KINDS = {
    kind.name: kind
    for kind in (
        ImportKind(
            "consultations",
            gettext_lazy("Consultations"),
            "consultations.resources.ConsultationResource",
            (Role.COUNSELLOR,),
        ),
        ImportKind(
            "stays",
            gettext_lazy("Shelter stays"),
            "shelter.resources.StayResource",
            (Role.COORDINATOR,),
        ),
        ImportKind(
            "salon_visits",
            gettext_lazy("Salon visits"),
            "shelter.resources.SalonVisitResource",
            (Role.COORDINATOR,),
        ),
        ImportKind(
            "peer_sessions",
            gettext_lazy("Peer-support sessions"),
            "peergroups.resources.PeerSessionResource",
            (Role.FACILITATOR,),
        ),
        ImportKind(
            "training_events",
            gettext_lazy("Training events"),
            "training.resources.TrainingEventResource",
            (Role.FACILITATOR,),
        ),
        ImportKind(
            "survey_responses",
            gettext_lazy("Survey responses"),
            "training.resources.SurveyResponseResource",
            (Role.FACILITATOR,),
        ),
    )
}


def kinds_for(user) -> list[ImportKind]:
    return [k for k in KINDS.values() if k.available() and has_role(user, *k.roles)]


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ImportOutcome:
    kind: str
    total_rows: int = 0
    written: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    preview: list[tuple[int, list, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_dataset(filename: str, content: bytes) -> tablib.Dataset:
    """A .csv (UTF-8, with or without BOM) or .xlsx file as a Dataset, headers
    stripped, blank rows dropped."""
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            dataset = tablib.Dataset().load(content, format="xlsx")
        elif name.endswith(".csv"):
            text = content.decode("utf-8-sig")
            dataset = tablib.Dataset().load(text, format="csv")
        else:
            raise ImportFileError(_("Use a .csv file (UTF-8) or an .xlsx file."))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The CSV file is not UTF-8. Save it as “CSV UTF-8” and try again.")
        ) from exc
    except ImportFileError:
        raise
    except Exception as exc:  # tablib/openpyxl raise many kinds
        raise ImportFileError(_("The file could not be read as a table.")) from exc
    if not dataset.headers:
        raise ImportFileError(_("The file has no header row."))
    cleaned = tablib.Dataset(headers=[str(h or "").strip() for h in dataset.headers])
    for row in dataset:
        values = ["" if v is None else v for v in row]
        if any(str(v).strip() for v in values):
            cleaned.append(values)
    return cleaned


def _messages(resource, error_dict) -> list[str]:
    """'column: reason' for each error; model field names become the column
    they were read from."""
    columns = {
        f.attribute: f.column_name for f in resource.fields.values() if f.attribute
    }
    columns.update(getattr(resource, "error_columns", {}))
    out = []
    for key, messages in error_dict.items():
        for message in messages:
            if key == NON_FIELD_ERRORS:
                out.append(str(message))
            else:
                out.append(f"{columns.get(key, key)}: {message}")
    return out


def run_import(
    kind_name: str, dataset: tablib.Dataset, *, by, dry_run: bool, preview_rows: int = 0
) -> ImportOutcome:
    kind = KINDS[kind_name]
    resource = kind.resource_class()(by=by)
    outcome = ImportOutcome(
        kind=kind_name,
        total_rows=len(dataset),
        dry_run=dry_run,
        headers=list(dataset.headers),
    )
    missing = [
        c for c in getattr(resource, "required_columns", ()) if c not in dataset.headers
    ]
    if missing:
        raise ImportFileError(
            _("Missing columns: %(columns)s") % {"columns": "、".join(missing)}
        )
    # PostgreSQL cannot store a NUL character in text: say where it is rather
    # than let the database refuse the row with an error of its own.
    outcome.errors = [
        RowError(
            number,
            _("%(column)s: contains a NUL character, which cannot be stored")
            % {"column": column},
        )
        for number, row in enumerate(dataset, start=2)
        for column, value in zip(dataset.headers, row, strict=False)
        if "\x00" in str(value)
    ]
    if outcome.errors:
        return outcome
    with transaction.atomic():
        # use_transactions: each row in a savepoint, so that a row the database
        # refuses does not stop the others from being checked.
        result = resource.import_data(
            dataset, dry_run=False, raise_errors=False, use_transactions=True
        )
        errors: dict[int, list[str]] = {}
        for invalid in result.invalid_rows:
            errors.setdefault(invalid.number + 1, []).extend(
                _messages(resource, invalid.error_dict)
            )
        for number, row_errors in result.row_errors():
            # Not a validation error: say so without echoing the exception,
            # which may quote the data.
            errors.setdefault(number + 1, []).extend(
                _("could not be saved (%(error)s)") % {"error": type(e.error).__name__}
                for e in row_errors
            )
        for base_error in result.base_errors:
            errors.setdefault(1, []).append(str(base_error.error))
        outcome.errors = [
            RowError(row, "; ".join(msgs)) for row, msgs in sorted(errors.items())
        ]
        if outcome.errors or dry_run:
            transaction.set_rollback(True)
        else:
            outcome.written = len(dataset)
            # Resources audit each client they touched (in after_import, rolled
            # back with everything else when the import is).
            audit(
                user=by,
                action=Action.IMPORT,
                object_type=kind_name,
                detail=f"{len(dataset)} rows",
            )
    if preview_rows:
        by_row = {e.row: e.message for e in outcome.errors}
        outcome.preview = [
            (number, list(values), by_row.get(number, ""))
            for number, values in enumerate(dataset[:preview_rows], start=2)
        ]
    return outcome
