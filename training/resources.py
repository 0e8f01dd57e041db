"""Imports of training events and survey responses (SPEC §3).

* ``training_events``: 日付, 区分 (研修会/講演会/ワークショップ), 題名, 参加者数.
* ``survey_responses``: 研修日付, 題名, 満足度 (1–5), 感想 (may be blank); each
  response finds its event by date and title.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from consultations.resources import (
    RowImportResource,
    cell_text,
    parse_count_cell,
    parse_date_cell,
)

from .models import MAX_PARTICIPANTS, Event, SurveyResponse

KIND_BY_LABEL = {
    "研修会": Event.Kind.TRAINING,
    "講演会": Event.Kind.LECTURE,
    "ワークショップ": Event.Kind.WORKSHOP,
}
KIND_LABEL = {value: label for label, value in KIND_BY_LABEL.items()}
TITLE_MAX = Event._meta.get_field("title").max_length


def _dates_in(dataset, column: str) -> set:
    """The dates a column holds (cells that are not dates are left out)."""
    out = set()
    for value in dataset[column] if column in dataset.headers else []:
        try:
            out.add(parse_date_cell(value))
        except ValueError:
            continue
    return out


class TrainingEventResource(RowImportResource):
    required_columns = ("日付", "区分", "題名", "参加者数")
    column_fields = {
        "日付": "date",
        "区分": "kind",
        "題名": "title",
        "参加者数": "participant_count",
        "事業": "programme",
    }

    class Meta:
        model = Event
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        self.taken = set(
            Event.objects.filter(date__in=_dates_in(dataset, "日付")).values_list(
                "date", "title"
            )
        )

    def fill(self, instance, row, errors):
        instance.date = errors.read("日付", parse_date_cell, row.get("日付"))
        kind = cell_text(row.get("区分"))
        if kind in KIND_BY_LABEL:
            instance.kind = KIND_BY_LABEL[kind]
        else:
            errors.add(
                "区分",
                _("“%(value)s” is not one of %(choices)s")
                % {"value": kind[:20], "choices": "/".join(KIND_BY_LABEL)},
            )
        title = cell_text(row.get("題名"))
        instance.title = title
        if not title:
            errors.add("題名", _("required"))
        elif len(title) > TITLE_MAX:
            errors.add("題名", _("at most %(max)d characters") % {"max": TITLE_MAX})
        elif instance.date is not None:
            if (instance.date, title) in self.taken:
                errors.add(
                    "題名",
                    _("an event with this title is already recorded on %(date)s")
                    % {"date": instance.date.isoformat()},
                )
            self.taken.add((instance.date, title))
        count = errors.read(
            "参加者数", parse_count_cell, row.get("参加者数"), maximum=MAX_PARTICIPANTS
        )
        if count is not None:
            instance.participant_count = count


class SurveyResponseResource(RowImportResource):
    required_columns = ("研修日付", "題名", "満足度")
    column_fields = {
        "研修日付": "event",
        "題名": "event",
        "満足度": "satisfaction",
        "感想": "comment",
    }

    def programme_day(self, instance):
        return instance.event.date if instance.event_id else None

    def set_programme(self, instance, programme, errors) -> None:
        """A response has no programme of its own: it follows its event's.
        事業 must then name the event's programme."""
        if instance.event.programme_id != programme.pk:
            errors.add(
                self.PROGRAMME_COLUMN,
                _("the training event is not attributed to “%(value)s”")
                % {"value": programme.name[:50]},
            )

    class Meta:
        model = SurveyResponse
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        self.events = {
            (e.date, e.title): e
            for e in Event.objects.filter(date__in=_dates_in(dataset, "研修日付"))
        }

    def fill(self, instance, row, errors):
        day = errors.read("研修日付", parse_date_cell, row.get("研修日付"))
        title = cell_text(row.get("題名"))
        if not title:
            errors.add("題名", _("required"))
        elif day is not None:
            event = self.events.get((day, title))
            if event is None:
                errors.add(
                    "題名",
                    _("no training event on %(date)s titled “%(title)s”")
                    % {"date": day.isoformat(), "title": title[:50]},
                )
            else:
                instance.event = event
        try:
            score = parse_count_cell(row.get("満足度"), maximum=10000)
        except ValueError as exc:
            errors.add("満足度", str(exc))
        else:
            if 1 <= score <= 5:
                instance.satisfaction = score
            else:
                errors.add("満足度", _("must be a whole number from 1 to 5"))
        instance.comment = cell_text(row.get("感想"))
