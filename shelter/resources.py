"""Imports of SPEC §3 for this app: ``stays`` and ``salon_visits``.

Facilities and rooms must exist already (an unknown one is a row error);
unknown client codes create the client. A stay that would clash with a stay
already booked, or with an earlier row of the same file, is a row error naming
the dates. The runner (reports.imports) writes all of a file or none of it.

A stay may be an entrusted temporary protection (一時保護委託): the optional
columns of ``PROTECTION_COLUMNS``, read only when 一時保護委託 is 1 (and
refused when it is not, so that no protection cell is dropped in silence).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import Action, audit_many
from consultations.models import Consent, PartnerAgency
from consultations.resources import (
    ClientLookup,
    RowImportResource,
    cell_text,
    parse_count_cell,
    parse_date_cell,
)

from .models import (
    Facility,
    ProtectionDestination,
    ProtectionReason,
    Room,
    SalonVisit,
    Stay,
)

KIND_BY_LABEL = {"宿泊": Stay.Kind.OVERNIGHT, "一時利用": Stay.Kind.DAY_REST}
STAY_COLUMNS = ("相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数")
SALON_VISIT_COLUMNS = ("日付", "施設", "人数")
# The optional columns of an entrusted temporary protection, and the field
# each fills.
PROTECTION_COLUMNS = {
    "一時保護委託": "entrusted",
    "委託元": "protection_agency",
    "委託元番号": "protection_reference",
    "同意日": "protection_consent_on",
    "同意方法": "protection_consent_method",
    "入所日": "protection_admitted_on",
    "退所日": "protection_discharged_on",
    "保護児童数": "protection_children",
    "保護理由": "protection_reason",
    "退所先": "protection_destination",
}
# Agencies named in the message for an unknown 委託元, at most.
KNOWN_AGENCIES_SHOWN = 10


def _facility_error(name: str, known) -> str:
    if not name:
        return _("required")
    return _("unknown facility “%(value)s” (known: %(choices)s)") % {
        "value": name[:30],
        "choices": "、".join(known) or "–",
    }


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def choice_names(choices: type[models.TextChoices]) -> dict[str, str]:
    """What a cell may name for one of ``choices``: its Japanese label (the
    language of the file format), its label in the language in use, or its
    code; each mapped to the code."""
    names = {}
    for choice in choices:
        names[str(choice.label)] = choice.value
    with translation.override("ja"):
        names.update((str(choice.label), choice.value) for choice in choices)
    names.update((choice.value, choice.value) for choice in choices)
    return names


def japanese_labels(choices: type[models.TextChoices]) -> list[str]:
    with translation.override("ja"):
        return [str(choice.label) for choice in choices]


def parse_flag_cell(value) -> bool:
    """1 (yes), 0 or blank (no); anything else is an error."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).translate(str.maketrans("０１", "01"))
    if text in ("", "0", "0.0"):
        return False
    if text in ("1", "1.0"):
        return True
    raise ValueError(_("write 1 or 0"))


class StayResource(RowImportResource):
    """相談者コード, 施設, 部屋, 区分 (宿泊/一時利用), 開始日, 終了日, 同伴児数,
    and optionally 事業 and the columns of an entrusted temporary protection:

    - 一時保護委託: 1 for a protection, 0 or blank for none (then every other
      protection cell must be blank);
    - 委託元: the name of a partner agency (the women's consultation support
      centre), which must exist; 委託元番号: its reference number;
    - 同意日 (a date) and 同意方法 (書面/口頭/LINE): her consent;
    - 入所日 (blank: 開始日) and 退所日 (blank: still protected; for a stay
      that has ended, 終了日, as checking out does);
    - 保護児童数 (blank: 同伴児数); 保護理由 and 退所先: a label (Japanese)
      or the code of ProtectionReason and ProtectionDestination.

    Stay.clean() checks the protection against the stay (admission on a
    night of the stay, discharge in order, consent before admission, the
    children with her), and each of its messages names the column.

    Imported stays that have ended are completed; the others are reserved."""

    required_columns = ("相談者コード", "施設", "部屋", "区分", "開始日")
    column_fields = {
        "相談者コード": "client",
        "施設": "room",
        "部屋": "room",
        "区分": "kind",
        "開始日": "start_date",
        "終了日": "end_date",
        "同伴児数": "children",
        "事業": "programme",
        **PROTECTION_COLUMNS,
    }
    # Stay.clean() words every rule of the protection's constraints.
    constraints_last = True

    class Meta:
        model = Stay
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        codes = dataset["相談者コード"] if "相談者コード" in dataset.headers else []
        self.clients = ClientLookup(cell_text(c) for c in codes)
        self.rooms = {
            (room.facility.name, room.name): room
            for room in Room.objects.select_related("facility")
        }
        self.shelters = dict(Facility.objects.values_list("name", "kind"))
        self.today = timezone.localdate()
        self.protection_columns = [
            c for c in PROTECTION_COLUMNS if c in dataset.headers
        ]
        self.agencies = None  # read with the first protection row
        self.methods = choice_names(Consent.Method)
        self.reasons = choice_names(ProtectionReason)
        self.destinations = choice_names(ProtectionDestination)

    def fill(self, instance, row, errors):
        code = cell_text(row.get("相談者コード"))
        if code:
            instance.client = errors.read(
                "相談者コード", self.clients.get_or_create, code
            )
        else:
            errors.add("相談者コード", _("required"))
        facility = cell_text(row.get("施設"))
        room_name = cell_text(row.get("部屋"))
        if facility not in self.shelters:
            errors.add("施設", _facility_error(facility, self.shelters))
        elif not room_name:
            errors.add("部屋", _("required"))
        elif (facility, room_name) not in self.rooms:
            errors.add(
                "部屋",
                _("%(facility)s has no room “%(value)s” (rooms: %(choices)s)")
                % {
                    "facility": facility,
                    "value": room_name[:30],
                    "choices": "、".join(r for f, r in self.rooms if f == facility)
                    or "–",
                },
            )
        else:
            instance.room = self.rooms[(facility, room_name)]
        label = cell_text(row.get("区分"))
        if label in KIND_BY_LABEL:
            instance.kind = KIND_BY_LABEL[label]
        else:
            errors.add(
                "区分",
                _("“%(value)s” is not one of %(choices)s")
                % {"value": label[:20], "choices": "/".join(KIND_BY_LABEL)},
            )
        start = errors.read("開始日", parse_date_cell, row.get("開始日"))
        end = None
        if cell_text(row.get("終了日")):
            end = errors.read("終了日", parse_date_cell, row.get("終了日"))
        instance.start_date = start
        if instance.kind == Stay.Kind.DAY_REST:
            if start and end and end != start:
                errors.add(
                    "終了日",
                    _(
                        "a day rest is on one date: leave it blank or give the "
                        "same date"
                    ),
                )
            instance.end_date = start
        elif start and end is None:
            errors.add("終了日", _("required for an overnight stay"))
        else:
            instance.end_date = end
        instance.children = (
            errors.read(
                "同伴児数",
                parse_count_cell,
                row.get("同伴児数"),
                required=False,
                maximum=Stay.MAX_CHILDREN,
            )
            or 0
        )
        instance.created_by = _user(self.by)
        # A stay whose days are all past is history; the others are bookings.
        done = start and instance.end_date and instance.occupied_until <= self.today
        instance.status = Stay.Status.COMPLETED if done else Stay.Status.RESERVED
        self.fill_protection(instance, row, errors)

    # ENTRUSTED TEMPORARY PROTECTION

    def fill_protection(self, instance, row, errors) -> None:
        instance.entrusted = bool(
            errors.read("一時保護委託", parse_flag_cell, row.get("一時保護委託"))
        )
        filled = [
            c
            for c in self.protection_columns
            if c != "一時保護委託" and cell_text(row.get(c))
        ]
        if not instance.entrusted:
            if filled and "一時保護委託" not in errors.errors:
                errors.add(
                    "一時保護委託",
                    _("write 1 for a temporary protection, or leave %(columns)s blank")
                    % {"columns": "、".join(filled)},
                )
            return
        instance.protection_agency = self.agency(row, errors)
        instance.protection_reference = cell_text(row.get("委託元番号"))
        instance.protection_consent_on = self.date(row, "同意日", errors)
        instance.protection_consent_method = self.choice(
            row, "同意方法", self.methods, Consent.Method, errors
        )
        admitted = self.date(row, "入所日", errors, required=False)
        instance.protection_admitted_on = admitted or (
            None if "入所日" in errors.errors else instance.start_date
        )
        if instance.protection_admitted_on is None and "開始日" in errors.errors:
            # Blank, and 開始日 is wrong: that one error says it.
            instance._import_exclude = {"protection_admitted_on"}
        discharged = self.date(row, "退所日", errors, required=False)
        if discharged is None and instance.status == Stay.Status.COMPLETED:
            # A stay that has ended: she left, and the protection ended with
            # the stay (as stay_check_out records it).
            discharged = None if "退所日" in errors.errors else instance.end_date
        instance.protection_discharged_on = discharged
        children = errors.read(
            "保護児童数",
            parse_count_cell,
            row.get("保護児童数"),
            required=False,
            maximum=Stay.MAX_CHILDREN,
        )
        if children is None and "保護児童数" not in errors.errors:
            children = instance.children
        instance.protection_children = children
        instance.protection_reason = self.choice(
            row, "保護理由", self.reasons, ProtectionReason, errors
        )
        instance.protection_destination = self.choice(
            row,
            "退所先",
            self.destinations,
            ProtectionDestination,
            errors,
            required=False,
        )

    def date(self, row, column, errors, *, required=True):
        if not required and not cell_text(row.get(column)):
            return None
        return errors.read(column, parse_date_cell, row.get(column))

    def choice(self, row, column, names, choices, errors, *, required=True) -> str:
        value = cell_text(row.get(column))
        if value in names:
            return names[value]
        if value or required:
            errors.add(
                column,
                _("“%(value)s” is not one of %(choices)s")
                % {
                    "value": value[:30],
                    "choices": "/".join(japanese_labels(choices)),
                }
                if value
                else _("required"),
            )
        return ""

    def agency(self, row, errors):
        if self.agencies is None:
            self.agencies = list(PartnerAgency.objects.all())
        name = cell_text(row.get("委託元"))
        if not name:
            errors.add("委託元", _("required"))
            return None
        for agency in self.agencies:
            if agency.name == name:
                return agency
        # The women's consultation support centres first: they place women in
        # temporary protection.
        centre = PartnerAgency.Category.WOMEN_SUPPORT_CENTRE
        known = sorted(
            (a for a in self.agencies if a.active),
            key=lambda a: (a.category != centre, a.name),
        )
        names = [a.name for a in known[:KNOWN_AGENCIES_SHOWN]]
        if len(known) > KNOWN_AGENCIES_SHOWN:
            names.append("…")
        errors.add(
            "委託元",
            _("unknown partner agency “%(value)s” (known: %(choices)s)")
            % {"value": name[:30], "choices": "、".join(names) or "–"},
        )
        return None

    def programme_day(self, instance):
        return instance.start_date

    def after_import(self, dataset, result, **kwargs):
        audit_many(
            user=self.by,
            action=Action.IMPORT,
            object_type="shelter.stay",
            client_codes=self.clients.touched,
        )


class SalonVisitResource(RowImportResource):
    """日付, 施設, 人数: the visitors of a salon on one day (a day already
    recorded, in the database or earlier in the file, is a row error)."""

    required_columns = SALON_VISIT_COLUMNS
    column_fields = {
        "日付": "date",
        "施設": "facility",
        "人数": "visitors",
        "事業": "programme",
    }

    class Meta:
        model = SalonVisit
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        self.facilities = {f.name: f for f in Facility.objects.all()}

    def fill(self, instance, row, errors):
        instance.date = errors.read("日付", parse_date_cell, row.get("日付"))
        name = cell_text(row.get("施設"))
        facility = self.facilities.get(name)
        if facility is None:
            salons = [n for n, f in self.facilities.items() if f.kind == "salon"]
            errors.add("施設", _facility_error(name, salons))
        else:
            instance.facility = facility
        instance.visitors = errors.read(
            "人数",
            parse_count_cell,
            row.get("人数"),
            maximum=SalonVisit.MAX_VISITORS,
        )
        instance.created_by = _user(self.by)
