"""LINE users and their messages. Imported by ``consultations.models`` so that
they belong to the consultations app."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LineUser(models.Model):
    """A person who wrote to the programme's LINE account. Their LINE user id
    and display name are personal data (counsellors only)."""

    line_user_id = models.CharField(_("LINE user id"), max_length=64, unique=True)
    display_name = models.CharField(_("LINE display name"), max_length=100, blank=True)
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_users",
    )
    # Whether the person has the account as a friend: follow and unfollow
    # events and the profile API's answer (404 for a non-friend) set it. None:
    # not known yet (a first message without a follow event).
    is_following = models.BooleanField(_("friend"), null=True, default=None)
    picture_url = models.URLField(_("LINE profile picture"), max_length=500, blank=True)
    # When the profile API last answered for this person (200 or 404).
    profile_checked_at = models.DateTimeField(
        _("profile checked"), null=True, blank=True
    )
    # The time of the newest message either way: the inbox is ordered by it.
    last_event_at = models.DateTimeField(_("last activity"), default=timezone.now)
    first_contact_at = models.DateTimeField(_("first contact"), default=timezone.now)

    class Meta:
        verbose_name = _("LINE user")
        verbose_name_plural = _("LINE users")
        ordering = ["-last_event_at", "-id"]
        indexes = [
            models.Index(fields=["-last_event_at", "-id"], name="line_user_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(line_user_id=""), name="line_user_id_not_blank"
            ),
        ]

    def __str__(self):
        # Never the display name: this string may end up in logs or admin lists.
        return f"LINE #{self.pk}"

    def get_absolute_url(self):
        return reverse("line:conversation", args=[self.pk])

    @property
    def is_not_friend(self) -> bool:
        return self.is_following is False

    @property
    def audit_client_code(self) -> str:
        return self.client.code if self.client_id else ""


class LineMessage(models.Model):
    """One event of a conversation: a message either way, or a follow or
    unfollow. Incoming events carry LINE's ``webhookEventId``, unique, so a
    redelivered event is stored once."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("From the person")
        OUTGOING = "out", _("From a counsellor")

    class Kind(models.TextChoices):
        TEXT = "text", pgettext_lazy("LINE message", "Text")
        IMAGE = "image", pgettext_lazy("LINE message", "Image")
        VIDEO = "video", pgettext_lazy("LINE message", "Video")
        AUDIO = "audio", pgettext_lazy("LINE message", "Voice message")
        FILE = "file", pgettext_lazy("LINE message", "File")
        LOCATION = "location", pgettext_lazy("LINE message", "Location")
        STICKER = "sticker", pgettext_lazy("LINE message", "Sticker")
        OTHER = "other", pgettext_lazy("LINE message", "Other message")
        FOLLOW = "follow", pgettext_lazy("LINE message", "Added as a friend")
        UNFOLLOW = "unfollow", pgettext_lazy("LINE message", "Blocked the account")

    class Status(models.TextChoices):
        SENT = "sent", pgettext_lazy("LINE reply", "Sent")
        # A timeout, a connection reset or a 5xx: LINE may have delivered it.
        # Its text is locked until it is sent again (same retry key) or
        # discarded.
        UNCERTAIN = "uncertain", pgettext_lazy("LINE reply", "May have been sent")
        # The rate limit: a task sends it after a pause.
        QUEUED = "queued", pgettext_lazy("LINE reply", "Queued, will be sent")
        DISCARDED = "discarded", pgettext_lazy("LINE reply", "Discarded, not sent")
        FAILED = "failed", pgettext_lazy("LINE reply", "Not sent")

    class Via(models.TextChoices):
        REPLY = "reply", pgettext_lazy("LINE reply", "reply token")
        PUSH = "push", pgettext_lazy("LINE reply", "push")

    MESSAGE_KINDS = (
        Kind.TEXT,
        Kind.IMAGE,
        Kind.VIDEO,
        Kind.AUDIO,
        Kind.FILE,
        Kind.LOCATION,
        Kind.STICKER,
        Kind.OTHER,
    )

    line_user = models.ForeignKey(
        LineUser,
        verbose_name=_("LINE user"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    webhook_event_id = models.CharField(
        _("webhook event id"), max_length=64, null=True, blank=True
    )
    line_message_id = models.CharField(_("LINE message id"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    # Incoming messages: when a counsellor first opened the conversation.
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The person withdrew the message in LINE (送信取消): its text is gone.
    unsent = models.BooleanField(_("withdrawn"), default=False)
    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("recorded as consultation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_messages",
    )
    # Outgoing messages: the key sent as X-Line-Retry-Key, so that a form
    # submitted twice sends and stores the reply once.
    retry_key = models.UUIDField(_("retry key"), null=True, blank=True, unique=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Incoming messages: LINE's reply token (usable once, within about a
    # minute of the event) and the token that marks the message read (既読).
    reply_token = models.CharField(_("reply token"), max_length=255, blank=True)
    reply_token_used = models.BooleanField(_("reply token used"), default=False)
    mark_as_read_token = models.CharField(
        _("mark-as-read token"), max_length=255, blank=True
    )
    # Outgoing messages: what became of it, and how it went out.
    status = models.CharField(
        _("delivery"), max_length=10, choices=Status.choices, blank=True
    )
    sent_via = models.CharField(
        _("sent with"), max_length=5, choices=Via.choices, blank=True
    )
    # LINE accepted it, but the person was not a friend: it may not arrive.
    to_non_friend = models.BooleanField(_("sent to a non-friend"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("LINE message")
        verbose_name_plural = _("LINE messages")
        ordering = ["sent_at", "id"]
        constraints = [
            # A redelivered webhook event is stored once.
            models.UniqueConstraint(
                fields=["webhook_event_id"], name="line_message_event_once"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=["in", "out"]),
                name="line_message_direction_valid",
            ),
            # What arrives through the webhook carries its event id; what a
            # counsellor sends carries its sender.
            models.CheckConstraint(
                condition=(
                    models.Q(direction="in", webhook_event_id__isnull=False)
                    | models.Q(direction="out", sent_by__isnull=False, kind="text")
                ),
                name="line_message_origin",
            ),
            # Only outgoing messages have a delivery state, and each has one.
            models.CheckConstraint(
                condition=(
                    models.Q(direction="in", status="")
                    | models.Q(
                        direction="out",
                        status__in=[
                            "sent",
                            "uncertain",
                            "queued",
                            "discarded",
                            "failed",
                        ],  # noqa: E501
                    )
                ),
                name="line_message_status_valid",
            ),
            # A withdrawn message keeps no text.
            models.CheckConstraint(
                condition=models.Q(unsent=False) | models.Q(text=""),
                name="line_message_unsent_no_text",
            ),
        ]
        indexes = [
            models.Index(fields=["line_user", "sent_at"], name="line_msg_user_time"),
            models.Index(
                fields=["line_user"],
                condition=models.Q(direction="in", read_at__isnull=True),
                name="line_msg_unread",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.sent_at:%Y-%m-%d %H:%M}"

    @property
    def audit_client_code(self) -> str:
        return self.line_user.audit_client_code

    @property
    def is_message(self) -> bool:
        return self.kind in self.MESSAGE_KINDS

    @property
    def is_delivered(self) -> bool:
        """LINE accepted it for a friend (outgoing messages)."""
        return self.status == self.Status.SENT and not self.to_non_friend

    @property
    def text_locked(self) -> bool:
        return self.status in (self.Status.UNCERTAIN, self.Status.QUEUED)

    @property
    def display_text(self) -> str:
        """The text, or a placeholder such as 「画像」 for what is not text."""
        if self.unsent:
            withdrawn = _("Withdrawn by the sender")
            return f"「{withdrawn}」"
        if self.kind == self.Kind.TEXT:
            return self.text
        return f"「{self.get_kind_display()}」"


class LineWebhookDay(models.Model):
    """How the webhook answered, counted per day and outcome: numbers only,
    never a body, a text or a LINE user id. One row per day and outcome however
    many calls arrive, so that requests from anyone (the webhook is public)
    cannot fill the table. Written by consultations.line.health.record()."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        BAD_SIGNATURE = "bad_signature", _("Refused: bad or missing signature")
        MALFORMED = "malformed", _("Refused: signed but malformed body")
        STORE_FAILED = "store_failed", _("Events could not be stored")

    day = models.DateField(_("day"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    events = models.PositiveIntegerField(_("events"), default=0)
    last_at = models.DateTimeField(_("last call"))
    last_events = models.PositiveIntegerField(_("events in the last call"), default=0)

    class Meta:
        verbose_name = _("LINE webhook day")
        verbose_name_plural = _("LINE webhook days")
        ordering = ["-day", "outcome"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "outcome"], name="line_webhook_day_outcome"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.outcome}: {self.calls}"

    @property
    def is_failure(self) -> bool:
        return self.outcome != self.Outcome.RECEIVED
