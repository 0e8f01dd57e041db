"""Training events (人材育成事業): 研修会, 講演会 and ワークショップ, the clients who
speak at them (only with their consent), and the satisfaction survey.

Satisfaction % of an event = responses of 4 or 5 / all responses, shown with
one decimal rounded half up (87.5, 66.7, 55.6) and the number of respondents;
an event without responses has no satisfaction ("–"), never 0%.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped, ScopedManager
from reports.fields import programme_field

from .satisfaction import Satisfaction

MAX_PARTICIPANTS = 100000
SATISFIED_FROM = 4  # a response of 4 or 5 counts as satisfied


class Event(Scoped):
    programme = programme_field()

    class Kind(models.TextChoices):
        TRAINING = "training", pgettext_lazy("event kind", "Training session")
        LECTURE = "lecture", pgettext_lazy("event kind", "Lecture")
        WORKSHOP = "workshop", pgettext_lazy("event kind", "Workshop")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("date"), db_index=True)
    title = models.CharField(_("title"), max_length=200)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    participant_count = models.PositiveIntegerField(
        _("participants"),
        default=0,
        help_text=_("Everyone who attended (the head count)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        ordering = ["date", "id"]
        constraints = [
            # Survey imports find their event by date and title.
            models.UniqueConstraint(
                fields=["date", "title"], name="training_event_date_title_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["training", "lecture", "workshop"]),
                name="training_event_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="training_event_title_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(participant_count__gte=0)
                & Q(participant_count__lte=MAX_PARTICIPANTS),
                name="training_event_participants_range",
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self):
        return reverse("training:event_detail", args=[self.pk])

    @property
    def satisfaction(self) -> Satisfaction:
        """Needs the ``respondent_count`` and ``satisfied_count`` annotations
        of training.selectors (so a list costs no query per event)."""
        return Satisfaction(self.satisfied_count, self.respondent_count)


class Speaker(models.Model):
    """A client who told her own story at an event. Recorded only with her
    consent: the database refuses a row whose consent box is not ticked."""

    scope_path = "event__organisation"

    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="speakers",
    )
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="talks",
    )
    talk_title = models.CharField(_("talk"), max_length=200, blank=True)
    consent = models.BooleanField(
        _("consent"),
        default=False,
        help_text=_(
            "She agreed to be recorded as a speaker at this event. Without her "
            "consent nothing is recorded."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["event", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent=True),
                name="training_speaker_consent_given",
                violation_error_message=_(
                    "A speaker is recorded only with her consent: tick the box."
                ),
            ),
            models.UniqueConstraint(
                fields=["event", "client"], name="training_speaker_once_per_event"
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.client.code}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code


class SurveyResponse(models.Model):
    """One respondent's answer: 満足度 from 1 (not at all) to 5 (very)."""

    scope_path = "event__organisation"

    class Score(models.IntegerChoices):
        ONE = 1, "1"
        TWO = 2, "2"
        THREE = 3, "3"
        FOUR = 4, "4"
        FIVE = 5, "5"

    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), choices=Score.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["event", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1) & Q(satisfaction__lte=5),
                name="training_response_satisfaction_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.satisfaction}"
