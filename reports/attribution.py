"""Which programme (事業) a record was done under, when nobody says so.

An admin links records to programmes with rules (reports.ProgrammeRule): the
records of one kind, of the programme's organisation, dated within the rule's
dates and, when the rule says so, only of one consultation channel, facility,
peer-support group or LINE official account. A new record whose programme is
empty takes the programme whose rules match it, if exactly one programme's
do; matching none or several, it stays empty and the data-quality page
(reports.data_quality) lists it for a person to decide.

Two implementations of the same matching, tested against each other:
``default_programmes`` (Python, for new records: the rules are read once per
save or bulk creation) and ``matches_count`` (SQL, for the data-quality page,
which annotates any number of records in one query).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Programme, ProgrammeRule

Kind = ProgrammeRule.RecordKind


@dataclass(frozen=True)
class RecordKind:
    """How the records of one model meet the rules."""

    kind: str  # a ProgrammeRule.RecordKind value
    model: str  # app_label.ModelName
    date_field: str  # the record's date (a datetime counts by its local date)
    channel: str | None = None  # the record's channel field (consultations)
    facility: str | None = None  # path to the facility (id)
    group: str | None = None  # path to the peer-support group (id)
    line_channel: str | None = None  # path to the LINE official account (id)

    @property
    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model)


KINDS: tuple[RecordKind, ...] = (
    RecordKind(Kind.CONSULTATION, "consultations.Consultation", "started_at",
               channel="channel"),
    RecordKind(Kind.SUPPORT_ACTION, "consultations.SupportAction", "date"),
    RecordKind(Kind.STAY, "shelter.Stay", "start_date", facility="room__facility"),
    RecordKind(Kind.SALON_VISIT, "shelter.SalonVisit", "date", facility="facility"),
    RecordKind(Kind.PEER_SESSION, "peergroups.Session", "date", group="group"),
    RecordKind(Kind.TRAINING_EVENT, "training.Event", "date"),
    RecordKind(Kind.LINE_CHAT, "consultations.LineChat", "started_at",
               line_channel="line_user__channel"),
)  # fmt: skip


def kind_of(model) -> RecordKind | None:
    label = model._meta.label
    return next((k for k in KINDS if k.model == label), None)


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


# -- new records (Python) -------------------------------------------------------


def _related_ids(kind: RecordKind, path: str | None, records) -> dict[int, object]:
    """For each record (by position), the id at the end of ``path``
    ("facility", "room__facility"): from the record or the parent it holds,
    else read for all of them in one query."""
    if path is None:
        return {}
    first, _sep, rest = path.partition("__")
    if not rest:
        return {i: getattr(r, f"{first}_id") for i, r in enumerate(records)}
    field = kind.model_class._meta.get_field(first)
    out, missing = {}, {}
    for i, record in enumerate(records):
        parent = field.get_cached_value(record, None)
        if parent is not None:
            out[i] = getattr(parent, f"{rest}_id")
        else:
            missing[i] = getattr(record, field.attname)
    if missing:
        ids = {pk for pk in missing.values() if pk is not None}
        found = dict(
            field.related_model._base_manager.filter(pk__in=ids).values_list(
                "pk", f"{rest}_id"
            )
        )
        for i, pk in missing.items():
            out[i] = found.get(pk)
    return out


def default_programmes(model, records: Iterable) -> list[int | None]:
    """The programme (id) that the rules give each record, or None: one
    query for the rules, whatever the number of records, and one more only
    when a rule names a facility or LINE account that a record reaches
    through a parent it does not hold (a stay's room, a chat's LINE user)."""
    kind = kind_of(model)
    records = list(records)
    if kind is None or not records:
        return [None] * len(records)
    dates = [_as_date(getattr(r, kind.date_field)) for r in records]
    orgs = {r.organisation_id for r in records} - {None}
    known = [d for d in dates if d is not None]
    if not orgs or not known:
        return [None] * len(records)
    rules = list(
        ProgrammeRule.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=min(known)),
            record_kind=kind.kind,
            programme__organisation__in=orgs,
            valid_from__lte=max(known),
        ).values(
            "programme_id",
            "programme__organisation_id",
            "channel",
            "facility_id",
            "group_id",
            "line_channel_id",
            "valid_from",
            "valid_until",
        )
    )
    if not rules:
        return [None] * len(records)
    facility = (
        _related_ids(kind, kind.facility, records)
        if any(r["facility_id"] for r in rules)
        else {}
    )
    group = _related_ids(kind, kind.group, records)
    line = (
        _related_ids(kind, kind.line_channel, records)
        if any(r["line_channel_id"] for r in rules)
        else {}
    )
    out = []
    for i, record in enumerate(records):
        channel = getattr(record, kind.channel) if kind.channel else None
        programmes = {
            rule["programme_id"]
            for rule in rules
            if rule["programme__organisation_id"] == record.organisation_id
            and dates[i] is not None
            and rule["valid_from"] <= dates[i]
            and (rule["valid_until"] is None or dates[i] <= rule["valid_until"])
            and (not rule["channel"] or rule["channel"] == channel)
            and (not rule["facility_id"] or rule["facility_id"] == facility.get(i))
            and (not rule["group_id"] or rule["group_id"] == group.get(i))
            and (not rule["line_channel_id"] or rule["line_channel_id"] == line.get(i))
        }
        out.append(programmes.pop() if len(programmes) == 1 else None)
    return out


def fill_programmes(model, records) -> None:
    """Gives the new records without a programme the one of their rules
    (ScopedQuerySet.bulk_create and the pre_save receiver call this)."""
    if kind_of(model) is None:
        return
    empty = [r for r in records if r.programme_id is None]
    for record, programme_id in zip(
        empty, default_programmes(model, empty), strict=True
    ):
        record.programme_id = programme_id


def check_programme(record) -> None:
    """A record's programme is one of its own organisation's."""
    if record.programme_id is None or record.organisation_id is None:
        return
    field = record._meta.get_field("programme")
    programme = field.get_cached_value(record, None)
    if programme is not None and programme.pk == record.programme_id:
        organisation_id = programme.organisation_id
    else:
        organisation_id = (
            Programme.objects.filter(pk=record.programme_id)
            .values_list("organisation_id", flat=True)
            .first()
        )
    if organisation_id != record.organisation_id:
        raise ValidationError(
            {"programme": _("Choose a programme of the record's organisation.")},
            code="programme_of_another_organisation",
        )


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if instance._state.adding:
        if instance.organisation_id is None:
            from accounts.scoping import organisation_for_new_record

            instance.organisation_id = organisation_for_new_record(instance)
        if instance.programme_id is None:
            fill_programmes(sender, [instance])
            return
        check_programme(instance)
    elif instance._meta.get_field("programme").is_cached(instance):
        # An edit that set the programme as an object: checked without a query.
        check_programme(instance)


def connect() -> None:
    from django.db.models.signals import pre_save

    for kind in KINDS:
        pre_save.connect(
            _on_save, sender=kind.model_class, dispatch_uid=f"attribution-{kind.kind}"
        )


# -- existing records (SQL) ------------------------------------------------------


def rules_matching(kind: RecordKind) -> Q:
    """The rules (a filter on ProgrammeRule) that match the outer query's
    record of this kind."""
    # A date and time counts by its local date (the current time zone's).
    timed = kind.model_class._meta.get_field(kind.date_field).get_internal_type()
    date = OuterRef(
        f"{kind.date_field}__date" if timed == "DateTimeField" else kind.date_field
    )
    q = Q(
        record_kind=kind.kind,
        programme__organisation=OuterRef("organisation"),
        valid_from__lte=date,
    ) & (Q(valid_until__isnull=True) | Q(valid_until__gte=date))
    if kind.channel:
        q &= Q(channel="") | Q(channel=OuterRef(kind.channel))
    else:
        q &= Q(channel="")
    for name in ("facility", "group", "line_channel"):
        path = getattr(kind, name)
        if path:
            q &= Q(**{f"{name}__isnull": True}) | Q(**{name: OuterRef(path)})
        else:
            q &= Q(**{f"{name}__isnull": True})
    return q


def matches_count(kind: RecordKind):
    """An annotation: how many programmes' rules match the record."""
    counted = (
        ProgrammeRule.objects.filter(rules_matching(kind))
        .order_by()
        .values("record_kind")
        .annotate(n=Count("programme", distinct=True))
        .values("n")
    )
    return Coalesce(
        Subquery(counted, output_field=IntegerField()),
        Value(0),
        output_field=IntegerField(),
    )


def record_url(kind: RecordKind, record) -> str:
    """The page of a record of this kind."""
    if kind.kind == Kind.SUPPORT_ACTION:
        return reverse("consultations:client_detail", args=[record.client_id])
    if kind.kind == Kind.SALON_VISIT:
        return reverse("shelter:salon_update", args=[record.pk])
    return record.get_absolute_url()


# -- the per-record choice (forms) ----------------------------------------------


def programmes_for(organisation_id: int | None = None):
    """The programmes a record may be put under: its organisation's when it
    has one, else those of the request's organisations (the active scope:
    the user's memberships, read in the same query)."""
    from accounts import scoping

    programmes = Programme.objects.all()
    if organisation_id is not None:
        return programmes.filter(organisation_id=organisation_id)
    scope = scoping.current()
    return programmes if scope is None else programmes.filter(scope.q("organisation"))


class ProgrammeChoiceField(forms.ModelChoiceField):
    """A record's programme; empty: the one the rules give a new record.
    Each form takes the programmes of its request's scope (or, through
    ``for_record``, of the record's organisation)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Programme"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", _("By the rules"))
        kwargs.setdefault(
            "help_text",
            _(
                "Leave empty and a new record takes the programme that the "
                "admins' rules give it; a record that no rule or several "
                "rules cover stays empty and is listed on the data-quality page."
            ),
        )
        super().__init__(queryset=Programme.objects.none(), **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.queryset = programmes_for()
        return result

    def for_record(self, record) -> None:
        if record is not None and record.organisation_id is not None:
            self.queryset = programmes_for(record.organisation_id)
