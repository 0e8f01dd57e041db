"""Imports of SPEC §3 for this app: ``stays`` and ``salon_visits``.

Facilities and rooms must exist already (an unknown one is a row error);
unknown client codes create the client. A stay that would clash with a stay
already booked, or with an earlier row of the same file, is a row error naming
the dates. The runner (reports.imports) writes all of a file or none of it.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Action, audit_many
from consultations.resources import (
    ClientLookup,
    RowImportResource,
    cell_text,
    parse_count_cell,
    parse_date_cell,
)

from .models import Facility, Room, SalonVisit, Stay

KIND_BY_LABEL = {"宿泊": Stay.Kind.OVERNIGHT, "一時利用": Stay.Kind.DAY_REST}
STAY_COLUMNS = ("相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数")
SALON_VISIT_COLUMNS = ("日付", "施設", "人数")


def _facility_error(name: str, known) -> str:
    if not name:
        return _("required")
    return _("unknown facility “%(value)s” (known: %(choices)s)") % {
        "value": name[:30],
        "choices": "、".join(known) or "–",
    }


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


class StayResource(RowImportResource):
    """相談者コード, 施設, 部屋, 区分 (宿泊/一時利用), 開始日, 終了日, 同伴児数.

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
    }

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
