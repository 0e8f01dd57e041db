"""What the LINE simulator and the stand-in Messaging API keep: simulated
people, what they sent through the webhook, and what the app sent to them.
Development data only; the tables exist only where the simulator is on."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def new_line_user_id() -> str:
    """A LINE user id of the real shape: "U" and 32 hex digits."""
    return "U" + secrets.token_hex(16)


class SimulatedPerson(models.Model):
    """Someone who writes to the account from the simulator."""

    line_user_id = models.CharField(
        _("LINE user id"), max_length=33, unique=True, default=new_line_user_id
    )
    display_name = models.CharField(_("LINE display name"), max_length=20)
    # The official account the person writes to (its webhook URL, signed with
    # its secret); none: the settings' account and the legacy /line/webhook/.
    channel = models.ForeignKey(
        "consultations.LineChannel",
        verbose_name=_("LINE official account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_following = models.BooleanField(_("following"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("simulated LINE user")
        verbose_name_plural = _("simulated LINE users")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(line_user_id__regex=r"^U[0-9a-f]{32}$"),
                name="simulated_person_line_user_id_shape",
            ),
        ]

    def __str__(self):
        return f"simulated LINE #{self.pk}"


class SimulatedEvent(models.Model):
    """One webhook event the simulator posted for a person. Media messages
    keep their bytes here, so that the stand-in's content endpoint serves
    them as LINE's api-data would."""

    class Kind(models.TextChoices):
        TEXT = "text", pgettext_lazy("LINE message", "Text")
        IMAGE = "image", pgettext_lazy("LINE message", "Image")
        VIDEO = "video", pgettext_lazy("LINE message", "Video")
        AUDIO = "audio", pgettext_lazy("LINE message", "Voice message")
        FILE = "file", pgettext_lazy("LINE message", "File")
        FOLLOW = "follow", pgettext_lazy("LINE message", "Added as a friend")
        UNFOLLOW = "unfollow", pgettext_lazy("LINE message", "Blocked the account")
        UNSEND = "unsend", _("Unsent a message")
        POSTBACK = "postback", pgettext_lazy("LINE message", "Tapped a button")

    MESSAGE_KINDS = (Kind.TEXT, Kind.IMAGE, Kind.VIDEO, Kind.AUDIO, Kind.FILE)
    MEDIA_KINDS = (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO, Kind.FILE)

    person = models.ForeignKey(
        SimulatedPerson, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    webhook_event_id = models.CharField(max_length=26, unique=True)
    # Message events: LINE's message id. Unsend events: the message withdrawn.
    message_id = models.CharField(max_length=20, blank=True)
    reply_token = models.CharField(max_length=32, null=True, blank=True, unique=True)
    text = models.TextField(_("text"), blank=True)
    # Postback events: the data of the button tapped (its displayText, shown
    # in the chat as the person's words, is in ``text``).
    postback_data = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True)
    # The person withdrew this message (an unsend event was posted for it).
    unsent = models.BooleanField(default=False)
    # How the app's webhook answered (0: not reached; None: not yet posted).
    webhook_status = models.PositiveSmallIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("simulated LINE event")
        verbose_name_plural = _("simulated LINE events")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=models.Q(
                    kind__in=["text", "image", "video", "audio", "file"]
                ),
                name="simulated_event_message_id_once",
            ),
            models.CheckConstraint(
                condition=models.Q(content__isnull=True)
                | models.Q(kind__in=["image", "video", "audio", "file"]),
                name="simulated_event_content_for_media",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.sent_at:%Y-%m-%d %H:%M}"

    @property
    def is_message(self) -> bool:
        return self.kind in self.MESSAGE_KINDS

    @property
    def size(self) -> int:
        return len(self.content or b"")


class SimulatedDelivery(models.Model):
    """One request the stand-in Messaging API accepted (a push or a reply):
    what LINE would have delivered to the person's phone."""

    class Endpoint(models.TextChoices):
        PUSH = "push", "push"
        REPLY = "reply", "reply"

    request_id = models.CharField(max_length=36, unique=True)
    endpoint = models.CharField(max_length=5, choices=Endpoint.choices)
    to = models.CharField(max_length=33, db_index=True)
    reply_token = models.CharField(max_length=32, null=True, blank=True, unique=True)
    # X-Line-Retry-Key: a second request with the same key is refused (409).
    retry_key = models.UUIDField(null=True, blank=True, unique=True)
    messages = models.JSONField()
    # The messages LINE's answer lists (id and quoteToken of each).
    sent_messages = models.JSONField()
    message_count = models.PositiveSmallIntegerField()
    # False when the person had blocked the account: LINE answers 200 and
    # delivers nothing.
    delivered = models.BooleanField(default=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("simulated LINE delivery")
        verbose_name_plural = _("simulated LINE deliveries")
        ordering = ["received_at", "id"]

    def __str__(self):
        return f"{self.endpoint} {self.received_at:%Y-%m-%d %H:%M}"
