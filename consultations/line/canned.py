"""Canned replies (定型文) and the variables of the LINE desk's texts.

A variable is filled in when a canned reply is inserted into the reply box
(the counsellor then edits the text before sending) and when an automatic
reply goes out:

- {相談員名}: the counsellor's display name;
- {受付時間}: the LINE desk's opening hours (consultations.line.desk_hours).

There is deliberately no variable for the person's LINE display name: it is
often her real name, it may be seen over her shoulder, and LINE lets anyone
choose it, so repeating it back is neither safe nor reliable. A text in
braces that is not a known variable is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import desk_hours
from .models import CannedReply

COUNSELLOR_NAME = "{相談員名}"
OPENING_HOURS = "{受付時間}"
VARIABLES = (COUNSELLOR_NAME, OPENING_HOURS)


def fill(text: str, *, counsellor_name: str | None = None, hours: str | None = None):
    """``text`` with its variables filled in; those not given (None) stay.
    Plain replacement, so braces in the text never break it."""
    if counsellor_name is not None:
        text = text.replace(COUNSELLOR_NAME, counsellor_name)
    if hours is not None and OPENING_HOURS in text:
        text = text.replace(OPENING_HOURS, hours)
    return text


@dataclass(frozen=True)
class FilledReply:
    pk: int
    title: str
    text: str


def canned_replies_for(*, counsellor) -> list[FilledReply]:
    """The active canned replies in their order, filled in for ``counsellor``
    (one query, and the desk's hours only if a text asks for them)."""
    replies = list(CannedReply.objects.filter(active=True).only("title", "text"))
    hours = None
    if any(OPENING_HOURS in r.text for r in replies):
        hours = desk_hours.hours_text()
    name = counsellor.display_name
    return [
        FilledReply(r.pk, r.title, fill(r.text, counsellor_name=name, hours=hours))
        for r in replies
    ]
