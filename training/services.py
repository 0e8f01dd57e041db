"""Writes for training events, speakers and survey responses."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

import jpdates
from accounts.audit import Action, audit
from accounts.locking import lock_for_update

from .models import Event, Speaker, SurveyResponse

EVENT_FIELDS = (
    "kind", "date", "title", "venue", "participant_count", "notes", "programme"
)  # fmt: skip


def _check_title_free(event: Event) -> None:
    """Surveys find their event by date and title, so two events never share
    both (a unique constraint; this gives the message)."""
    if not event.title or event.date is None:
        return
    taken = Event.objects.filter(date=event.date, title=event.title)
    if event.pk is not None:
        taken = taken.exclude(pk=event.pk)
    if taken.exists():
        raise ValidationError(
            {
                "title": _(
                    "An event with this title is already recorded on %(date)s. "
                    "Give this one another title."
                )
                % {"date": jpdates.on_screen(event.date)}
            },
            code="event_title_taken",
        )


@transaction.atomic
def event_create(*, by, organisation=None, **fields) -> Event:
    """``organisation``: the one chosen by a user of several (else the
    user's only one, accounts.scoping)."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"not event fields: {sorted(unknown)}")
    event = Event(**fields)
    if organisation is not None:
        event.organisation = organisation
    event.title = event.title.strip()
    _check_title_free(event)
    event.full_clean()
    event.save()
    audit(user=by, action=Action.CREATE, obj=event)
    return event


@transaction.atomic
def event_update(
    *, event: Event, by, expected_version: int | None = None, **fields
) -> Event:
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"not event fields: {sorted(unknown)}")
    if expected_version is not None:
        event = lock_for_update(event, expected_version)
    for name, value in fields.items():
        setattr(event, name, value.strip() if name == "title" else value)
    _check_title_free(event)
    event.full_clean()
    event.version = F("version") + 1
    event.save()
    event.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=event, detail=",".join(sorted(fields)))
    return event


@transaction.atomic
def event_delete(*, event: Event, by) -> None:
    for speaker in event.speakers.select_related("client"):
        audit(user=by, action=Action.DELETE, obj=speaker)
    audit(user=by, action=Action.DELETE, obj=event)
    event.delete()


# SPEAKERS: only with consent
# ------------------------------------------------------------------------------


@transaction.atomic
def speaker_add(
    *, by, event: Event, client, consent: bool, talk_title: str = ""
) -> Speaker:
    """Record a client as a speaker. Refused unless she consented (the
    database refuses it too)."""
    if not consent:
        raise ValidationError(
            {
                "consent": _(
                    "A speaker is recorded only with her consent: tick the box."
                )
            },
            code="no_consent",
        )
    if Speaker.objects.filter(event=event, client=client).exists():
        raise ValidationError(
            {
                "client": _("%(code)s is already a speaker at this event.")
                % {"code": client.code}
            },
            code="speaker_twice",
        )
    speaker = Speaker(event=event, client=client, consent=True, talk_title=talk_title)
    speaker.full_clean(validate_unique=False)
    speaker.save()
    audit(user=by, action=Action.CREATE, obj=speaker)
    return speaker


@transaction.atomic
def speaker_remove(*, by, speaker: Speaker) -> None:
    audit(user=by, action=Action.DELETE, obj=speaker)
    speaker.delete()


# SURVEY RESPONSES
# ------------------------------------------------------------------------------


@transaction.atomic
def survey_responses_add(
    *, by, event: Event, responses: Iterable[tuple[int, str]]
) -> list[SurveyResponse]:
    """Save several respondents' answers at once ((score, comment) each): all
    or none. One insert, whatever the number."""
    objs = []
    for index, (score, comment) in enumerate(responses, start=1):
        if score not in range(1, 6):
            raise ValidationError(
                _("Respondent %(n)d: the satisfaction must be 1 to 5."),
                code="score_range",
                params={"n": index},
            )
        objs.append(
            SurveyResponse(event=event, satisfaction=score, comment=comment.strip())
        )
    if not objs:
        raise ValidationError(
            _("Choose a satisfaction from 1 to 5 for at least one respondent."),
            code="no_responses",
        )
    SurveyResponse.objects.bulk_create(objs)
    audit(
        user=by,
        action=Action.CREATE,
        obj=event,
        detail=f"{len(objs)} survey responses",
    )
    return objs


@transaction.atomic
def survey_response_delete(*, by, response: SurveyResponse) -> None:
    audit(user=by, action=Action.DELETE, obj=response)
    response.delete()
