"""Import and export of consultations (SPEC §3), and the pieces that the other
apps' resources reuse: cell parsers (ISO or wareki dates, times, counts), a
per-import lookup that finds clients by code and creates unknown ones, and a
base resource that reads a row with Japanese headers and reports each bad
column by name."""

from __future__ import annotations

import datetime as dt
import io

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources
from openpyxl import Workbook

import jpdates
from accounts import scoping
from accounts.audit import Action, audit_many
from accounts.models import Organisation
from accounts.spreadsheet import append_row, csv_bytes

from .casework import client_refresh_last_contact
from .complaints import LEGACY_TOPICS, UNKNOWN, main_and_others, split_names
from .models import Channel, Client, Complaint, Consultation

# CELL PARSERS: each returns a value or raises ValueError with a message
# that names the problem (never the rest of the row).
# ------------------------------------------------------------------------------


def cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_date_cell(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        raise ValueError(_("required"))
    try:
        return jpdates.parse_date(text)
    except ValueError as exc:
        raise ValueError(
            _("“%(value)s” is not a date (write 2021-10-15 or 令和3年10月15日)")
            % {"value": text[:20]}
        ) from exc


def parse_time_cell(value) -> dt.time | None:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    text = cell_text(value).replace("：", ":")
    if not text:
        return None
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(
        _("“%(value)s” is not a time (write 14:30)") % {"value": text[:10]}
    )


def parse_count_cell(
    value, *, required: bool = True, maximum: int = 10000
) -> int | None:
    text = cell_text(value)
    if not text:
        if required:
            raise ValueError(_("required"))
        return None
    try:
        number = float(
            text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        )
    except ValueError as exc:
        raise ValueError(
            _("“%(value)s” is not a number") % {"value": text[:10]}
        ) from exc
    if number != int(number) or not 0 <= number <= maximum:
        raise ValueError(
            _("must be a whole number from 0 to %(max)d") % {"max": maximum}
        )
    return int(number)


# LOOKUPS: one query up front, then dictionaries.
# ------------------------------------------------------------------------------


class ClientLookup:
    """Clients by code for one import. An unknown code creates the client, with
    the code as its display name until a counsellor edits it."""

    def __init__(self, codes):
        codes = {c for c in codes if c}
        # Codes are unique across organisations: a code of another
        # organisation's client is neither its client nor free (one query:
        # the import runs in its organisation's scope, scoping.organisations).
        scope = scoping.current()
        ours = None if scope is None else scope.org_ids
        if scope is not None and ours is None and scope.user_id is None:
            ours = set()  # no organisation at all
        elif scope is not None and ours is None:
            ours = set(
                Organisation.objects.filter(members=scope.user_id).values_list(
                    "pk", flat=True
                )
            )
        self.by_code, self.taken = {}, set()
        for client in Client._base_manager.filter(code__in=codes):
            if ours is None or client.organisation_id in ours:
                self.by_code[client.code] = client
            else:
                self.taken.add(client.code)
        self.touched: set[str] = set()

    def create_missing(self, codes) -> None:
        """Create the clients of every unknown code at once (one query), as
        get_or_create would have one by one. A code that is too long is left
        for get_or_create to report on its row."""
        missing = sorted(
            {
                c
                for c in codes
                if c and len(c) <= 20 and c not in self.by_code and c not in self.taken
            }
        )
        clients = [Client(code=code, display_name=code) for code in missing]
        for client in clients:
            client.refresh_search()
        for client in Client.objects.bulk_create(clients):
            self.by_code[client.code] = client

    def get_or_create(self, code: str) -> Client:
        if len(code) > 20:
            raise ValueError(_("client code is too long (20 characters at most)"))
        if code in self.taken:
            raise ValueError(
                _("client code “%(code)s” cannot be used: choose another")
                % {"code": code}
            )
        client = self.by_code.get(code)
        if client is None:
            client = Client(code=code, display_name=code)
            client.refresh_search()
            client.save()
            self.by_code[code] = client
        self.touched.add(code)
        return client


class UserLookup:
    """Active users by username: only the members of the organisations the
    import writes into (the active scope), so that a row cannot name a user
    of another organisation."""

    def __init__(self):
        self.by_username = {
            u.username: u for u in scoping.members_of().filter(is_active=True)
        }

    def get(self, username: str):
        if not username:
            raise ValueError(_("required"))
        try:
            return self.by_username[username]
        except KeyError:
            raise ValueError(
                _("no active user “%(name)s”") % {"name": username[:30]}
            ) from None


class RowErrors:
    """Collects 'column: message' for one row, raised together."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def read(self, column: str, parse, value, **kwargs):
        try:
            return parse(value, **kwargs)
        except ValueError as exc:
            self.add(column, str(exc))
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


class RowImportResource(resources.ModelResource):
    """Base for the SPEC §3 formats: every row creates a record; ``fill()`` reads
    the row's Japanese columns into the instance and reports bad cells by
    column. ``column_fields`` maps each column to the model field it fills, so that a
    field whose cell was already reported is not reported again by the model's
    validation, and a model error names the column the user typed in."""

    required_columns: tuple[str, ...] = ()
    column_fields: dict[str, str] = {}
    # True: the model's constraints are checked only for a row with nothing
    # else wrong (their messages are generic; the model's clean() gives the
    # reason, and skips checks that an earlier error makes meaningless).
    constraints_last = False

    def __init__(self, by=None, **kwargs):
        super().__init__(**kwargs)
        self.by = by

    @property
    def error_columns(self) -> dict[str, str]:
        """Model field -> the (first) column it is read from."""
        fields_to_columns: dict[str, str] = {}
        for column, field in self.column_fields.items():
            fields_to_columns.setdefault(field, column)
        return fields_to_columns

    def get_instance(self, instance_loader, row):
        return None  # imports only add records

    def import_instance(self, instance, row, **kwargs):
        errors = RowErrors()
        self.fill(instance, row, errors)
        self.fill_programme(instance, row, errors)
        errors.raise_if_any()

    # The optional column 事業 (SPEC §3): a programme of the importing
    # organisation (the active scope) in the row's fiscal year. Blank: no
    # programme is set here (the default rule gives one when the record is
    # saved).

    PROGRAMME_COLUMN = "事業"

    def programme_day(self, instance):
        """The date that puts the row in a fiscal year (None: not read)."""
        return instance.date

    def set_programme(self, instance, programme, errors: RowErrors) -> None:
        instance.programme = programme

    def _programmes_by_name(self) -> dict:
        if not hasattr(self, "_programme_names"):
            from reports.models import Programme

            programmes = Programme.objects.all()
            scope = scoping.current()
            if scope is not None:
                programmes = programmes.filter(scope.q("organisation"))
            self._programme_names = {}
            for programme in programmes.order_by("fiscal_year", "pk"):
                self._programme_names.setdefault(programme.name, []).append(programme)
        return self._programme_names

    def fill_programme(self, instance, row, errors: RowErrors) -> None:
        name = cell_text(row.get(self.PROGRAMME_COLUMN))
        if not name:
            return
        same_name = self._programmes_by_name().get(name, [])
        if not same_name:
            errors.add(
                self.PROGRAMME_COLUMN,
                _("no programme “%(value)s” in your organisation")
                % {"value": name[:50]},
            )
            return
        day = self.programme_day(instance)
        if day is None:
            return  # the date's own error is reported
        year = jpdates.fiscal_year(day)
        for programme in same_name:
            if programme.fiscal_year == year:
                self.set_programme(instance, programme, errors)
                return
        errors.add(
            self.PROGRAMME_COLUMN,
            _("“%(value)s” is a programme of %(years)s, not of %(year)s")
            % {
                "value": name[:50],
                "years": "、".join(p.fiscal_year_label for p in same_name),
                "year": jpdates.fiscal_year_label(year),
            },
        )

    def validate_instance(
        self, instance, import_validation_errors=None, validate_unique=True
    ):
        errors = dict(import_validation_errors or {})
        exclude = {self.column_fields.get(key, key) for key in errors}
        # Fields that fill() took from a cell already reported.
        exclude |= getattr(instance, "_import_exclude", set())
        try:
            instance.full_clean(
                exclude=exclude,
                validate_unique=validate_unique,
                validate_constraints=not self.constraints_last,
            )
            if self.constraints_last and not errors:
                instance.validate_constraints(exclude=exclude)
        except ValidationError as exc:
            # The model's clean() checks every field: a field whose cell was
            # already reported is not reported twice.
            model_errors = {
                field: messages
                for field, messages in exc.error_dict.items()
                if field not in exclude
            }
            if model_errors:
                errors = ValidationError(model_errors).update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def fill(self, instance, row, errors: RowErrors) -> None:
        raise NotImplementedError


# CONSULTATIONS
# ------------------------------------------------------------------------------

CHANNEL_BY_LABEL = {
    "LINE": Channel.LINE,
    "電話": Channel.PHONE,
    "対面": Channel.FACE_TO_FACE,
    "SNS": Channel.SNS,
    "メール": Channel.EMAIL,
    "訪問": Channel.VISIT,
}
CHANNEL_LABEL = {value: label for label, value in CHANNEL_BY_LABEL.items()}
CONSULTATION_COLUMNS = (
    "日付",
    "時刻",
    "相談方法",
    "相談者コード",
    "新規",
    "担当者",
    "主訴",
    "その他の問題",
    "内容",
    "所要時間",
)


def complaint_names() -> dict[str, Complaint]:
    """What a cell of 主訴 or その他の問題 may name: a complaint's label, its
    code, or one of the old topics (files written before 主訴, migration
    0020), each mapped to its complaint. One query."""
    complaints = list(Complaint.objects.all())
    by_code = {c.code: c for c in complaints}
    names = {
        name: by_code[code] for name, code in LEGACY_TOPICS.items() if code in by_code
    }
    names.update((c.code, c) for c in complaints)
    names.update((c.label, c) for c in complaints)
    return names


def consultation_refresh_new(client_ids) -> None:
    """Mark each client's earliest consultation (by date and time, then id) as
    new and no other: two queries, whatever the number of clients."""
    client_ids = {c for c in client_ids if c}
    if not client_ids:
        return
    first = Subquery(
        Consultation.objects.filter(client_id=OuterRef("client_id"))
        .order_by("started_at", "id")
        .values("id")[:1]
    )
    # Clear first, then set, so the one-new-per-client index is never broken.
    Consultation.objects.filter(client_id__in=client_ids, is_new=True).exclude(
        pk=first
    ).update(is_new=False)
    Consultation.objects.filter(
        client_id__in=client_ids, is_new=False, pk=first
    ).update(is_new=True)


class ConsultationResource(RowImportResource):
    """日付, 時刻, 相談方法, 相談者コード, 新規, 担当者, 主訴, 内容, 所要時間
    (and the optional その他の問題 and 事業).

    主訴 names the main complaint (a label of the list, its code, or an old
    topic name); a 、-separated list is read as the main complaint first, then
    other problems, and その他の問題 (、-separated) adds other problems. A
    blank 主訴 is 不明 (unknown), as for consultations recorded before 主訴.

    Written in bulk (10k rows in seconds, SPEC §4): each row is read and
    validated on its own, so every bad row is still reported with its number,
    but the valid ones are inserted in batches, and their other problems with one
    insert at the end. Validation runs no query per row: the client and the
    counsellor come from the lookups loaded in before_import, the channel from
    a fixed list, and 新規 is worked out for every client in after_import (the
    database's constraints still guard every insert)."""

    required_columns = ("日付", "相談方法", "担当者")
    column_fields = {
        "日付": "started_at",
        "時刻": "started_at",
        "相談方法": "channel",
        "相談者コード": "client",
        "新規": "is_new",
        "担当者": "counsellor",
        "主訴": "main_complaint",
        "その他の問題": "other_problems",
        "内容": "summary",
        "所要時間": "duration_minutes",
        "事業": "programme",
    }

    # Filled from the lookups of before_import, so they exist: no query per
    # row to check them again.
    lookup_fields = {"client", "counsellor", "programme", "main_complaint"}

    class Meta:
        model = Consultation
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset, **kwargs):
        codes = dataset["相談者コード"] if "相談者コード" in dataset.headers else []
        codes = [cell_text(c) for c in codes]
        self.clients = ClientLookup(codes)
        self.clients.create_missing(codes)
        self.users = UserLookup()
        self.complaints = complaint_names()
        self.saved: list[Consultation] = []

    def validate_instance(
        self, instance, import_validation_errors=None, validate_unique=True
    ):
        errors = dict(import_validation_errors or {})
        exclude = {self.column_fields.get(key, key) for key in errors}
        try:
            instance.full_clean(
                exclude=exclude | self.lookup_fields,
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        self.saved.append(instance)

    def unknown_complaint(self, name: str) -> str:
        labels = sorted(
            {c for c in self.complaints.values() if c.active},
            key=lambda c: (c.order, c.code),
        )
        return _("unknown complaint “%(value)s” (known: %(choices)s)") % {
            "value": name[:20],
            "choices": "、".join(c.label for c in labels),
        }

    def programme_day(self, instance):
        if instance.started_at is None:
            return None
        return timezone.localtime(instance.started_at).date()

    def fill(self, instance, row, errors):
        day = errors.read("日付", parse_date_cell, row.get("日付"))
        time = errors.read("時刻", parse_time_cell, row.get("時刻"))
        if day:
            instance.started_at = timezone.make_aware(
                dt.datetime.combine(day, time or dt.time(0, 0))
            )
        channel = cell_text(row.get("相談方法"))
        if channel in CHANNEL_BY_LABEL:
            instance.channel = CHANNEL_BY_LABEL[channel]
        else:
            errors.add(
                "相談方法",
                _("“%(value)s” is not one of %(choices)s")
                % {"value": channel[:20], "choices": "/".join(CHANNEL_BY_LABEL)},
            )
        instance.counsellor = errors.read(
            "担当者", self.users.get, cell_text(row.get("担当者"))
        )
        code = cell_text(row.get("相談者コード"))
        new_flag = cell_text(row.get("新規"))
        if new_flag not in ("", "0", "1"):
            errors.add("新規", _("write 1 or 0"))
        if code:
            instance.client = errors.read(
                "相談者コード", self.clients.get_or_create, code
            )
            if new_flag == "1":
                errors.add(
                    "新規",
                    _(
                        "can be 1 only for an anonymous contact (no client "
                        "code); for a client it is worked out"
                    ),
                )
        instance.is_new = not code and new_flag == "1"
        codes = []
        for column in ("主訴", "その他の問題"):
            for name in split_names(cell_text(row.get(column))):
                if name in self.complaints:
                    codes.append(self.complaints[name].code)
                else:
                    errors.add(column, self.unknown_complaint(name))
        main, others = main_and_others(codes)
        if main is not None and not split_names(cell_text(row.get("主訴"))):
            # Only その他の問題: the main complaint was not written down.
            main, others = UNKNOWN, [main, *others]
        instance.main_complaint_id = main or UNKNOWN
        instance._import_others = others
        instance.summary = cell_text(row.get("内容"))
        instance.duration_minutes = errors.read(
            "所要時間",
            parse_count_cell,
            row.get("所要時間"),
            required=False,
            maximum=1440,
        )

    def after_import(self, dataset, result, **kwargs):
        # The rows were inserted in bulk (and have their ids): now their
        # other problems.
        Through = Consultation.other_problems.through
        pk_of = {c.code: c.pk for c in self.complaints.values()}
        Through.objects.bulk_create(
            (
                Through(consultation_id=consultation.pk, complaint_id=pk_of[code])
                for consultation in self.saved
                if consultation.pk
                for code in consultation._import_others
            ),
            batch_size=2000,
        )
        consultation_refresh_new(c.pk for c in self.clients.by_code.values())
        client_refresh_last_contact(c.pk for c in self.clients.by_code.values())
        audit_many(
            user=self.by,
            action=Action.IMPORT,
            object_type="consultations.consultation",
            client_codes=self.clients.touched,
        )


class ConsultationExportResource(resources.ModelResource):
    """The filtered consultation list, in the columns of the import format (so an
    export can be imported elsewhere). Without ``include_personal`` the client
    code and the summary are left out."""

    date = fields.Field(column_name="日付")
    time = fields.Field(column_name="時刻")
    channel = fields.Field(column_name="相談方法")
    client_code = fields.Field(column_name="相談者コード")
    new = fields.Field(column_name="新規")
    counsellor_name = fields.Field(column_name="担当者")
    main_complaint_label = fields.Field(column_name="主訴")
    other_problem_labels = fields.Field(column_name="その他の問題")
    summary_text = fields.Field(column_name="内容")
    duration = fields.Field(column_name="所要時間")

    class Meta:
        model = Consultation
        fields = (
            "date",
            "time",
            "channel",
            "client_code",
            "new",
            "counsellor_name",
            "main_complaint_label",
            "other_problem_labels",
            "summary_text",
            "duration",
        )
        export_order = fields

    def __init__(self, *, include_personal: bool, **kwargs):
        super().__init__(**kwargs)
        self.include_personal = include_personal

    def get_export_fields(self, selected_fields=None):
        export_fields = super().get_export_fields(selected_fields)
        if not self.include_personal:
            export_fields = [
                f
                for f in export_fields
                if f.column_name not in ("相談者コード", "内容")
            ]
        return export_fields

    def dehydrate_date(self, obj):
        return timezone.localtime(obj.started_at).date().isoformat()

    def dehydrate_time(self, obj):
        return timezone.localtime(obj.started_at).strftime("%H:%M")

    def dehydrate_channel(self, obj):
        return CHANNEL_LABEL[obj.channel]

    def dehydrate_client_code(self, obj):
        return obj.client.code if obj.client_id else ""

    def dehydrate_new(self, obj):
        return "1" if obj.is_new else "0"

    def dehydrate_counsellor_name(self, obj):
        return obj.counsellor.username

    def dehydrate_main_complaint_label(self, obj):
        return obj.main_complaint.label

    def dehydrate_other_problem_labels(self, obj):
        return "、".join(t.label for t in obj.other_problems.all())

    def dehydrate_summary_text(self, obj):
        return obj.summary

    def dehydrate_duration(self, obj):
        return "" if obj.duration_minutes is None else obj.duration_minutes


def export_bytes(dataset, fmt: str) -> tuple[bytes, str]:
    """A dataset as CSV (UTF-8 with BOM, for Excel) or XLSX, every cell written
    by accounts.spreadsheet, so that no text can run as a formula."""
    rows = [dataset.headers, *dataset]
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            append_row(sheet, row)
        out = io.BytesIO()
        workbook.save(out)
        return (
            out.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return csv_bytes(rows), "text/csv; charset=utf-8"
