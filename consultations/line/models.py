"""LINE users and their messages. Imported by ``consultations.models`` so that
they belong to the consultations app."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped, ScopedManager
from reports.fields import programme_field

from . import secrets


# The automatic replies (consultations.line.autoreply).
class AutoReplyKind(models.TextChoices):
    GREETING = "greeting", _("Greeting with the privacy notice")
    OUTSIDE_HOURS = "outside_hours", _("Outside the opening hours")


AUTO_REPLY_KINDS = AutoReplyKind.choices
# The data of the greeting's consent button (a postback action).
CONSENT_POSTBACK_DATA = "consent=yes"


class LineChannel(Scoped):
    """One LINE official account (a Messaging API channel) of an organisation.
    Its webhook is /line/webhook/<channel_id>/, verified with its own
    secret. The secret and the access token are stored encrypted
    (consultations.line.secrets), never in clear text."""

    name = models.CharField(_("account name"), max_length=100)
    channel_id = models.CharField(
        _("channel ID"),
        max_length=32,
        unique=True,
        help_text=_("The channel ID shown in the LINE Developers console."),
    )
    secret_encrypted = models.TextField(_("channel secret (encrypted)"), blank=True)
    access_token_encrypted = models.TextField(
        _("channel access token (encrypted)"), blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("LINE official account")
        verbose_name_plural = _("LINE official accounts")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel_id__regex=r"^[0-9A-Za-z_-]+$"),
                name="line_channel_id_url_safe",
            ),
        ]

    def __str__(self):
        return self.name

    # The clear values, decrypted on each read and encrypted on each write
    # (consultations.line.secrets); never stored or shown as they are.
    @property
    def secret(self) -> str:
        return secrets.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = secrets.encrypt(value)

    @property
    def access_token(self) -> str:
        return secrets.decrypt(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = secrets.encrypt(value)

    def get_webhook_path(self) -> str:
        return reverse("line:channel_webhook", args=[self.channel_id])


class LineUser(Scoped):
    """A person who wrote to the programme's LINE account. Their LINE user id
    and display name are personal data (counsellors only)."""

    organisation_from = "channel"

    channel = models.ForeignKey(
        LineChannel,
        verbose_name=_("LINE official account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="line_users",
    )
    # Unique per official account: LINE gives one person different ids
    # under different providers (see the constraints).
    line_user_id = models.CharField(_("LINE user id"), max_length=64)
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
    # When the person tapped the consent button of the greeting (a postback).
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)

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
            models.UniqueConstraint(
                fields=["channel", "line_user_id"], name="line_user_unique_per_channel"
            ),
            # The people of the settings' account (the legacy webhook, no
            # channel): unique among themselves.
            models.UniqueConstraint(
                fields=["line_user_id"],
                condition=models.Q(channel__isnull=True),
                name="line_user_unique_without_channel",
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

    @property
    def consent_missing(self) -> bool:
        return self.consent_given_at is None


class LineChat(Scoped):
    """One LINE consultation (a chat): from the person's first message while no
    chat of hers is open, until a counsellor ends it. Ending it makes one
    consultation record (consultations.line.chats.chat_end)."""

    organisation_from = "line_user"
    programme = programme_field()

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")  # 待機中
        ACTIVE = "active", _("In progress")  # 対応中
        ENDED = "ended", _("Ended")  # 終了

    class Outcome(models.TextChoices):
        ESTABLISHED = "established", _("Consultation took place")  # 成立
        NOT_ESTABLISHED = "not_established", _("No consultation took place")  # 不成立

    OPEN = (Status.WAITING, Status.ACTIVE)

    line_user = models.ForeignKey(
        LineUser,
        verbose_name=_("LINE user"),
        on_delete=models.CASCADE,
        related_name="chats",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.WAITING,
        db_index=True,
    )
    # The first incoming message of the chat.
    started_at = models.DateTimeField(_("started at"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The first reply sent in the chat.
    first_response_at = models.DateTimeField(
        _("first response at"), null=True, blank=True
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True
    )
    # Began outside the LINE desk's opening hours.
    outside_hours = models.BooleanField(_("outside opening hours"), default=False)
    consultation = models.OneToOneField(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_chat",
    )

    class Meta:
        verbose_name = _("LINE chat")
        verbose_name_plural = _("LINE chats")
        ordering = ["started_at", "id"]
        constraints = [
            # At most one open chat per person: a new message joins it.
            models.UniqueConstraint(
                fields=["line_user"],
                condition=models.Q(status__in=["waiting", "active"]),
                name="line_chat_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["waiting", "active", "ended"]),
                name="line_chat_status_valid",
            ),
            # Waiting: nobody holds it. In progress: someone does.
            models.CheckConstraint(
                condition=~models.Q(status="waiting", claimed_by__isnull=False),
                name="line_chat_waiting_unclaimed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active", claimed_by__isnull=True),
                name="line_chat_active_claimed",
            ),
            # Ended exactly when it has an end and an outcome.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="ended",
                        ended_at__isnull=False,
                        outcome__in=["established", "not_established"],
                    )
                    | (
                        ~models.Q(status="ended")
                        & models.Q(ended_at__isnull=True, outcome="")
                    )
                ),
                name="line_chat_ended_has_end_and_outcome",
            ),
        ]

    def __str__(self):
        return f"LINE chat #{self.pk} ({self.status})"

    def get_absolute_url(self):
        return reverse("line:conversation", args=[self.line_user_id])

    @property
    def audit_client_code(self) -> str:
        return self.line_user.audit_client_code

    @property
    def time_to_first_response(self):
        if self.first_response_at is None:
            return None
        return self.first_response_at - self.started_at


class LineChatTransfer(models.Model):
    """A chat handed from one counsellor to another (a transfer, or a
    supervisor's take-over), with the note for the one who takes it. Shown in
    the conversation; the audit trail records it without the note."""

    scope_path = "chat__organisation"

    chat = models.ForeignKey(
        LineChat,
        verbose_name=_("LINE chat"),
        on_delete=models.CASCADE,
        related_name="transfers",
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    take_over = models.BooleanField(_("taken over by a supervisor"), default=False)
    at = models.DateTimeField(_("when"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("LINE chat transfer")
        verbose_name_plural = _("LINE chat transfers")
        ordering = ["at", "id"]

    def __str__(self):
        return f"LINE chat #{self.chat_id} transfer {self.at:%Y-%m-%d %H:%M}"

    @property
    def audit_client_code(self) -> str:
        return self.chat.audit_client_code


class LineMessage(Scoped):
    """One event of a conversation: a message either way, or a follow or
    unfollow. Incoming events carry LINE's ``webhookEventId``, unique, so a
    redelivered event is stored once."""

    organisation_from = "line_user"

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
        # A button tapped in a message of the account (its data in ``text``).
        POSTBACK = "postback", pgettext_lazy("LINE message", "Tapped a button")

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
    # Incoming: the person's open chat when it arrived; outgoing: the chat it
    # answers. None for what came before chats, and for follow events.
    chat = models.ForeignKey(
        LineChat,
        verbose_name=_("LINE chat"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
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
    # Incoming messages: LINE's token for quoting this message in a reply, and
    # the id of the message this one quotes (quotedMessageId), if any.
    quote_token = models.CharField(_("quote token"), max_length=255, blank=True)
    quoted_message_id = models.CharField(
        _("quoted message id"), max_length=64, blank=True
    )
    # Files: the name the sender gave it (shown, never used to store it).
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # Locations.
    location_title = models.CharField(_("place name"), max_length=255, blank=True)
    location_address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Stickers: LINE's keywords for the sticker, and the words a message
    # sticker carries.
    sticker_keywords = models.JSONField(_("sticker keywords"), default=list, blank=True)
    sticker_text = models.TextField(_("sticker text"), blank=True)
    # Outgoing messages the app sent by itself (a greeting, the automatic
    # reply outside the desk's hours): they have no sender.
    automatic = models.CharField(
        _("automatic reply"), max_length=20, choices=AUTO_REPLY_KINDS, blank=True
    )

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
            # counsellor sends carries its sender; what the app sends by
            # itself says which automatic reply it is.
            models.CheckConstraint(
                condition=(
                    models.Q(direction="in", webhook_event_id__isnull=False)
                    | (
                        models.Q(direction="out", kind="text")
                        & (
                            models.Q(sent_by__isnull=False, automatic="")
                            | (models.Q(sent_by__isnull=True) & ~models.Q(automatic=""))
                        )
                    )
                ),
                name="line_message_origin",
            ),
            models.CheckConstraint(
                condition=models.Q(automatic="") | models.Q(direction="out"),
                name="line_message_automatic_outgoing",
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
            # A place has both coordinates, on the globe, or none.
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(
                        latitude__gte=-90,
                        latitude__lte=90,
                        longitude__gte=-180,
                        longitude__lte=180,
                    )
                ),
                name="line_message_coordinates",
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

    # What ``display_text`` reads: a ``values()`` row of these columns gives
    # the same text through ``display_text_of`` (the inbox's previews, read
    # without making the messages).
    DISPLAY_TEXT_FIELDS = (
        "unsent",
        "kind",
        "text",
        "location_title",
        "location_address",
        "sticker_text",
        "file_name",
    )

    @property
    def display_text(self) -> str:
        """The text, or a placeholder such as 「画像」 for what is not text,
        followed by what LINE said about it: a file's name, a place, the words
        of a sticker."""
        return self.display_text_of(
            {name: getattr(self, name) for name in self.DISPLAY_TEXT_FIELDS}
        )

    @classmethod
    def display_text_of(cls, values) -> str:
        """``display_text`` of a message from its DISPLAY_TEXT_FIELDS (a
        mapping, such as a ``values()`` row)."""
        if values["unsent"]:
            withdrawn = _("Withdrawn by the sender")
            return f"「{withdrawn}」"
        kind = values["kind"]
        if kind == cls.Kind.TEXT:
            return values["text"]
        # As get_kind_display(): the label, or the stored value if unknown.
        label = cls.Kind(kind).label if kind in cls.Kind.values else kind
        placeholder = f"「{label}」"
        words = {
            cls.Kind.LOCATION: ["location_title", "location_address"],
            cls.Kind.STICKER: ["sticker_text"],
            cls.Kind.FILE: ["file_name"],
        }.get(kind, [])
        return " ".join([placeholder, *[values[w] for w in words if values[w]]])

    @property
    def postback_label(self) -> str:
        """What a tapped button said, in the app's words where it is one of
        the app's own buttons."""
        if self.text == CONSENT_POSTBACK_DATA:
            return str(_("Consented to the privacy notice"))
        return self.text

    @property
    def has_place(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def map_url(self) -> str:
        """OpenStreetMap, centred on the place, with a marker."""
        if not self.has_place:
            return ""
        lat, lon = f"{self.latitude:.6f}", f"{self.longitude:.6f}"
        return (
            f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        )


class LineMedia(models.Model):
    """The content of an image, video, voice or file message. Content that
    LINE holds (provider "line") is downloaded by a task
    (consultations.line.tasks) into the private LINE media storage
    (consultations.line.media) under a random name; content at the sender's
    own links (provider "external") is only linked to."""

    scope_path = "message__organisation"

    class Provider(models.TextChoices):
        LINE = "line", _("LINE")
        EXTERNAL = "external", _("The sender's link")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be downloaded")
        DOWNLOADED = "downloaded", _("Downloaded")
        FAILED = "failed", _("Download failed")
        EXPIRED = "expired", _("No longer on LINE")
        TOO_LARGE = "too_large", _("Too large to keep")
        TYPE_MISMATCH = "type_mismatch", _("Not of the announced kind")
        EXTERNAL = "external", _("Not downloaded: at the sender's link")
        DELETED = (
            "deleted",
            _("Deleted: the client was anonymised or withdrew the message"),
        )

    message = models.OneToOneField(
        LineMessage,
        verbose_name=_("LINE message"),
        on_delete=models.CASCADE,
        related_name="media",
    )
    provider = models.CharField(
        _("content provider"), max_length=10, choices=Provider.choices
    )
    # External content: the sender's links (https only).
    original_url = models.URLField(_("content link"), max_length=2000, blank=True)
    preview_url = models.URLField(_("preview link"), max_length=2000, blank=True)
    # What LINE announced: a file's size, a video's or voice's length.
    declared_size = models.BigIntegerField(_("announced size"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    status = models.CharField(
        _("download status"), max_length=15, choices=Status.choices
    )
    attempts = models.PositiveSmallIntegerField(_("download attempts"), default=0)
    # What was downloaded: the storage name (random), its thumbnail (images),
    # the size, the type found in the bytes (for a mismatch, what they were),
    # and the SHA-256 of the content.
    stored_name = models.CharField(_("stored as"), max_length=100, blank=True)
    thumbnail_name = models.CharField(_("thumbnail"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("LINE message content")
        verbose_name_plural = _("LINE message contents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(provider__in=["line", "external"]),
                name="line_media_provider_valid",
            ),
            # Only LINE's content is downloaded; the sender's links never are.
            models.CheckConstraint(
                condition=(
                    models.Q(provider="external", status__in=["external", "deleted"])
                    | (models.Q(provider="line") & ~models.Q(status="external"))
                ),
                name="line_media_status_of_provider",
            ),
            # Downloaded content has its file, size and hash; any other state
            # keeps no file.
            models.CheckConstraint(
                condition=(
                    models.Q(status="downloaded", size__isnull=False)
                    & ~models.Q(stored_name="")
                    & ~models.Q(sha256="")
                    & ~models.Q(content_type="")
                )
                | (
                    ~models.Q(status="downloaded")
                    & models.Q(stored_name="", thumbnail_name="")
                ),
                name="line_media_file_when_downloaded",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="line_media_to_download",
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()} {self.get_status_display()}"

    @property
    def audit_client_code(self) -> str:
        return self.message.audit_client_code

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def duration_display(self) -> str:
        """A video's or voice's length as m:ss."""
        if self.duration_ms is None:
            return ""
        minutes, seconds = divmod(round(self.duration_ms / 1000), 60)
        return f"{minutes}:{seconds:02d}"


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


class CannedReply(Scoped):
    """A ready-made reply (定型文) that a counsellor inserts into the reply box
    and edits before sending. Its text may hold variables, filled in on
    insertion (consultations.line.canned): {相談員名}, {受付時間}."""

    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"), max_length=5000)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["order", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(title="") & ~models.Q(text=""),
                name="canned_reply_title_and_text",
            ),
        ]

    def __str__(self):
        return self.title


class LineAutoReply(models.Model):
    """The text of an automatic reply, one per kind, edited by admins: the
    greeting with the privacy notice and its consent button, and the reply
    to a message outside the LINE desk's opening hours. {受付時間} in the
    text becomes the desk's hours."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=AutoReplyKind.choices, unique=True
    )
    text = models.TextField(_("text"), max_length=5000)
    # The greeting's consent button (LINE allows 20 characters).
    button_label = models.CharField(
        _("consent button label"), max_length=20, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("LINE automatic reply")
        verbose_name_plural = _("LINE automatic replies")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AutoReplyKind.values),
                name="line_auto_reply_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(text=""), name="line_auto_reply_text"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="greeting", button_label=""),
                name="line_auto_reply_greeting_button",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class LineAutoReplyClaim(models.Model):
    """An automatic reply due to a person: one row per person, kind and
    period, so that it goes out once however often LINE delivers the event
    and however many deliveries run at once (the unique constraint decides).
    The period is "first" for the greeting, and the time the desk closed for
    the reply outside the opening hours (once per closed period)."""

    line_user = models.ForeignKey(
        LineUser,
        verbose_name=_("LINE user"),
        on_delete=models.CASCADE,
        related_name="auto_reply_claims",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AutoReplyKind.choices)
    period = models.CharField(_("period"), max_length=40)
    # The incoming message whose reply token carries the reply.
    trigger = models.ForeignKey(
        LineMessage,
        verbose_name=_("answered message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The reply as stored once LINE took it (none: not sent).
    message = models.OneToOneField(
        LineMessage,
        verbose_name=_("reply sent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("LINE automatic reply due")
        verbose_name_plural = _("LINE automatic replies due")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["line_user", "kind", "period"], name="line_auto_reply_once"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.period}"
