"""Imports of SPEC §3: one runner for the CLI and the browser.

A file is imported whole or not at all: the rows are written inside one
transaction, which is rolled back if any row is bad (or for a dry run). Every
bad row is reported with its row number as a spreadsheet shows it (the header
is row 1, the first data row is row 2) and the reason.

Each kind names a django-import-export resource in its app's resources.py.
A resource is built as ``Resource(by=user)`` and may define ``required_columns``.

A file is read as a stream and held to the limits of settings.IMPORT_MAX_*
(bytes, unpacked bytes of an .xlsx, rows, columns, characters in a cell) while
it streams, so that a file past one is refused with a message naming it before
anything heavy is built: an .xlsx's declared dimensions are not trusted, and a
zip that would unpack to more than the limit is not opened.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import scoping
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

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(n: int) -> str:
    return f"{n:,}"


def _megabytes(n: int) -> str:
    return _number(n // (1024 * 1024))


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    """The rows of the first (active) sheet, streamed by openpyxl in read-only
    mode. The sheet's declared size is ignored: a row is as long as its last
    cell, and the rows are as many as the sheet really holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            # zipfile never reads more than a member's declared size, so the
            # sum bounds what openpyxl can unpack (it holds the shared strings
            # in memory).
            if unpacked > settings.IMPORT_MAX_UNZIPPED_BYTES:
                raise ImportFileError(
                    _("The .xlsx file unpacks to more than %(limit)s MB.")
                    % {"limit": _megabytes(settings.IMPORT_MAX_UNZIPPED_BYTES)}
                )
            _refuse_too_many_rows(archive)
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError(_("The file could not be read as a table.")) from exc
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.active
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


# A row element of a sheet's XML (<row …>, <row>, <row/>, or with a prefix).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _refuse_too_many_rows(archive: zipfile.ZipFile) -> None:
    """Count the row elements of every sheet in its raw XML before openpyxl
    parses anything: a bytes search over the stream takes milliseconds where
    parsing takes seconds (openpyxl even parses a whole sheet that declares no
    size, just to size it), so a file with too many rows is refused at once.
    Only what is there is counted; a declared size is never read."""
    limit = settings.IMPORT_MAX_ROWS + 1  # the header row
    for info in archive.infolist():
        name = info.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        rows, tail = 0, b""
        with archive.open(info) as xml:
            while chunk := xml.read(1024 * 1024):
                data = tail + chunk
                matches = list(_ROW_TAG.finditer(data))
                rows += len(matches)
                # A tag cut by the chunk's end is counted with the next chunk.
                tail = data[max(len(data) - 64, matches[-1].end() if matches else 0) :]
                if rows > limit:
                    raise ImportFileError(_too_many_rows())


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


class _RowBudget:
    """The lines of a CSV text for csv.reader, refusing a row (which may span
    lines inside quotes) longer than the limits allow, before csv splits it."""

    def __init__(self, text: str):
        # One line at a time, line ends kept (as csv wants): no copy of the text.
        self._lines = (m.group() for m in _LINE.finditer(text))
        # Each cell at its longest with every character a doubled quote.
        self.budget = settings.IMPORT_MAX_COLUMNS * (
            2 * settings.IMPORT_MAX_CELL_CHARS + 3
        )
        self.used = 0
        self.row = 1

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.used += len(line)
        if self.used > self.budget:
            raise ImportFileError(_too_wide(self.row))
        return line

    def next_row(self) -> None:
        self.used = 0
        self.row += 1


def _too_many_rows() -> str:
    return _(
        "The file has more than %(limit)s rows below the header. "
        "Split it into smaller files."
    ) % {"limit": _number(settings.IMPORT_MAX_ROWS)}


def _too_wide(row: int) -> str:
    return _(
        "Row %(row)s has more than %(columns)s columns or a cell longer than "
        "%(chars)s characters."
    ) % {
        "row": _number(row),
        "columns": _number(settings.IMPORT_MAX_COLUMNS),
        "chars": _number(settings.IMPORT_MAX_CELL_CHARS),
    }


def _csv_rows(content: bytes) -> Iterator[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The CSV file is not UTF-8. Save it as “CSV UTF-8” and try again.")
        ) from exc
    lines = _RowBudget(text)
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ImportFileError(_too_wide(lines.row)) from exc
            raise
        lines.next_row()
        yield row


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def _rows(filename: str, content: bytes) -> Iterator[list]:
    """Each row of the file (the header first), trailing empty cells dropped,
    with every limit checked as it streams past: ImportFileError as soon as
    one is passed. Blank rows count towards the row limit."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)s MB.")
            % {"limit": _megabytes(settings.IMPORT_MAX_BYTES)}
        )
    name = filename.lower()
    if name.endswith(".xlsx"):
        source = _xlsx_rows(content)
    elif name.endswith(".csv"):
        source = _csv_rows(content)
    else:
        raise ImportFileError(_("Use a .csv file (UTF-8) or an .xlsx file."))
    max_rows = settings.IMPORT_MAX_ROWS
    max_columns = settings.IMPORT_MAX_COLUMNS
    max_chars = settings.IMPORT_MAX_CELL_CHARS
    try:
        for number, row in enumerate(source, start=1):
            if number > max_rows + 1:
                raise ImportFileError(_too_many_rows())
            values = list(row)
            while values and _blank(values[-1]):
                values.pop()
            if len(values) > max_columns or any(
                isinstance(v, str) and len(v) > max_chars for v in values
            ):
                raise ImportFileError(_too_wide(number))
            yield values
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl and csv raise many kinds
        raise ImportFileError(_("The file could not be read as a table.")) from exc
    finally:
        source.close()


@dataclass(frozen=True)
class FileScan:
    rows: int  # data rows (not blank, below the header)
    width: int  # the widest row, in cells
    complete: bool  # False: stopped after ``stop_after`` rows


def scan_file(
    filename: str,
    content: bytes,
    *,
    stop_after: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileScan:
    """Check the whole file against the limits without keeping it (or only
    its first ``stop_after`` data rows); ImportFileError if it passes one."""
    rows = width = 0
    header = None
    stream = _rows(filename, content)
    try:
        for values in stream:
            width = max(width, len(values))
            if header is None:
                header = values
                continue
            if not values:
                continue
            rows += 1
            if progress and rows % 1000 == 0:
                progress(rows)
            if stop_after is not None and rows > stop_after:
                return FileScan(rows, width, complete=False)
    finally:
        stream.close()
    if not header:
        raise ImportFileError(_("The file has no header row."))
    return FileScan(rows, width, complete=True)


def _padded(values: list, width: int) -> list:
    return ["" if v is None else v for v in values] + [""] * (width - len(values))


def read_dataset(
    filename: str, content: bytes, *, scan: FileScan | None = None
) -> tablib.Dataset:
    """A .csv (UTF-8, with or without BOM) or .xlsx file as a Dataset, headers
    stripped, blank rows dropped. The file is checked against the limits
    first, without being kept (unless ``scan`` says it was); then read."""
    if scan is None or not scan.complete:
        scan = scan_file(filename, content)
    stream = _rows(filename, content)
    try:
        header = next(stream)
        dataset = tablib.Dataset(
            headers=[str(h or "").strip() for h in _padded(header, scan.width)]
        )
        for values in stream:
            if any(not _blank(v) for v in values):
                dataset.append(_padded(values, scan.width))
    finally:
        stream.close()
    return dataset


def read_page(
    filename: str, content: bytes, *, start: int, count: int
) -> tuple[list[str], list[tuple[int, list]]]:
    """The headers, and data rows ``start`` to ``start + count`` (0-based,
    blank rows left out) with their numbers as in run_import (the first data
    row is row 2), each as wide as the headers at least."""
    rows = []
    stream = _rows(filename, content)
    try:
        headers = [str(h or "").strip() for h in next(stream, [])]
        index = 0
        for values in stream:
            if all(_blank(v) for v in values):
                continue
            if index >= start + count:
                break
            if index >= start:
                rows.append((index + 2, _padded(values, len(headers))))
            index += 1
    finally:
        stream.close()
    return headers, rows


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


def _count_rows(resource, progress: Callable[[int], None]) -> None:
    """Call progress(rows done) every 500 rows the resource imports."""
    import_row = resource.import_row
    done = 0

    def counted(*args, **kwargs):
        nonlocal done
        result = import_row(*args, **kwargs)
        done += 1
        if done % 500 == 0:
            progress(done)
        return result

    resource.import_row = counted


def importing_organisations(by, organisation_id: int | None = None):
    """The organisations an import writes into and looks names up in: the
    one given (an upload's, recorded when it was made), else the importing
    user's; None with neither (the operator's command without --user: no
    scope, as for every command). A user of several organisations must say
    which (ImportFileError)."""
    if organisation_id is not None:
        return [organisation_id]
    if by is None or not getattr(by, "is_authenticated", False):
        return None
    ids = scoping.visible_organisation_ids(by)
    if len(ids) != 1:
        raise ImportFileError(
            _(
                "You belong to %(count)d organisations: an import needs exactly "
                "one to write into."
            )
            % {"count": len(ids)}
        )
    return ids


def run_import(
    kind_name: str,
    dataset: tablib.Dataset,
    *,
    by,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    organisation_id: int | None = None,
) -> ImportOutcome:
    """Import a dataset in the scope of the importing organisation
    (``importing_organisations``): client codes, facilities, rooms, groups,
    events, users and programmes named in the rows are found only there, and
    every record written belongs to it."""
    ids = importing_organisations(by, organisation_id)
    if ids is None:
        return _run_import(
            kind_name, dataset, by=by, dry_run=dry_run, progress=progress
        )
    with scoping.organisations(ids):
        return _run_import(
            kind_name, dataset, by=by, dry_run=dry_run, progress=progress
        )


def _run_import(kind_name, dataset, *, by, dry_run, progress) -> ImportOutcome:
    kind = KINDS[kind_name]
    resource = kind.resource_class()(by=by)
    if progress:
        _count_rows(resource, progress)
    outcome = ImportOutcome(
        kind=kind_name,
        total_rows=len(dataset),
        dry_run=dry_run,
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
    return outcome
