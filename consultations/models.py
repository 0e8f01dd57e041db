from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped
from reports.fields import programme_field

from .complaints import UNKNOWN as UNKNOWN_COMPLAINT
from .search import normalise


class Client(Scoped):
    """A person who consults (相談者). Personal data is kept minimal: only the
    code and a display name (a nickname is fine) are required."""

    class HouseholdType(models.TextChoices):
        SINGLE_MOTHER = "single_mother", _("Single-mother household")
        SINGLE_FATHER = "single_father", _("Single-father household")
        SINGLE = "single", _("Living alone")
        OTHER = "other", _("Other")

    class AgeBand(models.TextChoices):
        UNDER_20 = "u20", _("Under 20")
        TWENTIES = "20s", _("20s")
        THIRTIES = "30s", _("30s")
        FORTIES = "40s", _("40s")
        FIFTIES = "50s", _("50s")
        SIXTY_PLUS = "60+", _("60 and over")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Urgency(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class ClosureReason(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        REFERRED = "referred", _("Referred elsewhere")
        MOVED_AWAY = "moved_away", _("Moved away")
        LOST_CONTACT = "lost_contact", _("Lost contact")
        OTHER = "other", _("Other")

    code = models.CharField(
        _("client code"), max_length=20, unique=True, editable=False
    )
    display_name = models.CharField(_("display name"), max_length=100)
    kana = models.CharField(_("kana"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True
    )
    age_band = models.CharField(
        _("age band"), max_length=3, choices=AgeBand.choices, blank=True
    )
    household_type = models.CharField(
        _("household type"), max_length=20, choices=HouseholdType.choices, blank=True
    )
    children_count = models.PositiveSmallIntegerField(
        _("number of children"), null=True, blank=True
    )
    area = models.CharField(_("area"), max_length=100, blank=True)
    assigned_counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned counsellor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_clients",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    notes = models.TextField(_("notes"), blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    # Safety flags (DV and stalking cases): shown wherever contact details are.
    no_phone_or_mail = models.BooleanField(
        _("do not contact by phone or mail"), default=False
    )
    address_confidential = models.BooleanField(
        _("address must not be disclosed (DV support measure)"), default=False
    )
    line_only = models.BooleanField(_("reply only in LINE"), default=False)
    SAFETY_FLAGS = ("no_phone_or_mail", "address_confidential", "line_only")
    CONTACT_FIELDS = ("phone", "email", "area")
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Normalised for search (consultations.search.normalise): code and names,
    # and apart from them the phone number, which is searched only where the
    # searcher may see it (selectors.client_search).
    search_text = models.TextField(editable=False, default="")
    search_phone = models.TextField(editable=False, default="")
    # The later of the local date of her last consultation and the date of her
    # last support action (None: neither yet), kept by
    # casework.client_refresh_last_contact on every write of either, so the
    # worklist's "no contact in N days" reads one column, not two subqueries
    # per case. manage.py check_last_contact compares it to the records.
    last_contact_on = models.DateField(
        _("last contact"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True)
                | models.Q(birth_year__gte=1900),
                name="client_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=~models.Q(display_name=""),
                name="client_display_name_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed"]),
                name="client_status_valid",
            ),
            # A closed case has a closure reason; an open one has none.
            models.CheckConstraint(
                condition=(models.Q(status="closed") & ~models.Q(closure_reason=""))
                | (models.Q(status="open") & models.Q(closure_reason="")),
                name="client_closure_reason_iff_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=["high", "medium", "low"]),
                name="client_urgency_valid",
            ),
        ]
        indexes = [
            # The worklist's quiet open cases, quietest first.
            models.Index(
                fields=["last_contact_on", "id"],
                condition=models.Q(status="open"),
                name="client_open_last_contact",
            ),
            # The same order as PostgreSQL reads it (a B-tree sorts NULL last
            # unless told): the team's quiet cases, and each counsellor's,
            # by an index scan that stops at the LIST_LIMIT + 1st row.
            # PostgreSQL only (migration 0024): SQLite sorts NULL first
            # anyway and refuses NULLS FIRST in an index.
            models.Index(
                models.F("last_contact_on").asc(nulls_first=True),
                models.F("id"),
                condition=models.Q(status="open"),
                name="client_open_quiet",
            ),
            models.Index(
                models.F("assigned_counsellor"),
                models.F("last_contact_on").asc(nulls_first=True),
                models.F("id"),
                condition=models.Q(status="open"),
                name="client_open_staff_quiet",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    def save(self, *args, **kwargs):
        self.refresh_search()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # last_contact_on belongs to casework.client_refresh_last_contact:
            # saving a copy read before a consultation was recorded must not
            # put its old value back.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name != "last_contact_on"
                and f.attname not in deferred
            ]
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "search_text",
                "search_phone",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("consultations:client_detail", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.code

    @property
    def has_safety_flag(self) -> bool:
        return self.no_phone_or_mail or self.address_confidential or self.line_only

    def contact_visible_to(self, user) -> bool:
        """Contact details (phone, e-mail, area) of a flagged client: only the
        assigned counsellor and admins see them. Lists compute the same rule
        in SQL (selectors.contact_visible_q)."""
        from accounts.roles import Role, has_role

        if not (self.no_phone_or_mail or self.address_confidential):
            return True
        return self.assigned_counsellor_id == user.pk or has_role(user, Role.ADMIN)

    def safety_flags_editable_by(self, user) -> bool:
        """Only the assigned counsellor and supervisors (admins, and
        counsellors marked as supervisors: accounts.roles.is_supervisor) may
        set or clear a safety flag."""
        from accounts.roles import is_supervisor

        return self.assigned_counsellor_id == user.pk or is_supervisor(user)

    def refresh_search(self) -> None:
        """Set search_text and search_phone from the fields they index (for
        bulk inserts, which do not call save())."""
        self.search_text = normalise(
            " ".join([self.code, self.display_name, self.kana])
        )
        self.search_phone = normalise(self.phone)


class CodeSequence(models.Model):
    """The last number handed out for a kind of code, so that codes are never
    reused even when a record is deleted."""

    name = models.CharField(max_length=20, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("code sequence")
        verbose_name_plural = _("code sequences")

    def __str__(self):
        return f"{self.name}: {self.last}"


class Complaint(models.Model):
    """A problem a woman consults about, from the list of the women's
    consultation statistics (福祉行政報告例): 夫等からの暴力, 経済関係 … Master
    data (consultations.complaints seeds it), edited in the admin. A
    consultation's main complaint (主訴) refers to the ``code``, which stays
    the same once used; the label may be reworded."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(
        pgettext_lazy("complaint", "label"), max_length=50, unique=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Offered when a consultation is recorded."),
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["order", "code"]

    def __str__(self):
        return self.label


class Channel(models.TextChoices):
    LINE = "line", "LINE"
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    FACE_TO_FACE = "face_to_face", pgettext_lazy("channel", "Face-to-face")
    SNS = "sns", pgettext_lazy("channel", "SNS (chat)")
    EMAIL = "email", pgettext_lazy("channel", "Email")
    VISIT = "visit", pgettext_lazy("channel", "Outreach visit")


class Consultation(Scoped):
    """One consultation (相談) by one channel. ``is_new`` (新規) is derived for a
    known client (their earliest consultation by date and time) and ticked by
    the counsellor for an anonymous contact; services keep it right."""

    organisation_from = "client"
    programme = programme_field()

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    started_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counsellor"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    # The code of the complaint (to_field): 不明 for a consultation recorded
    # without one (consultations.complaints).
    main_complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("main complaint"),
        to_field="code",
        on_delete=models.PROTECT,
        default=UNKNOWN_COMPLAINT,
        related_name="main_of",
    )
    other_problems = models.ManyToManyField(
        Complaint,
        verbose_name=_("other problems"),
        blank=True,
        related_name="other_of",
    )
    summary = models.TextField(_("summary"), blank=True)
    is_new = models.BooleanField(_("new"), default=False)
    # Recorded from LINE messages of which one was later withdrawn (送信取消):
    # the counsellor checks the summary; saving it with "checked" clears it.
    has_withdrawn_message = models.BooleanField(
        _("contains a withdrawn message"), default=False
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values),
                name="consultation_channel_valid",
            ),
            # A client has exactly one first consultation.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_new=True, client__isnull=False),
                name="consultation_one_new_per_client",
            ),
        ]
        indexes = [
            # Both also hold the organisation, which every scoped query asks
            # for (accounts.scoping): without it an index-only scan became
            # one visit of the table per row (docs/benchmarks.md, issue 18).
            models.Index(
                fields=["client", "started_at", "organisation"],
                name="consult_client_time_org",
            ),
            # Ranges of time (lists, the annual report, the worklist's "no
            # contact since") read the client, channel and new flag from the
            # index itself, without visiting the table.
            models.Index(
                fields=["started_at", "client", "channel", "is_new", "organisation"],
                name="consult_time_cover_org",
            ),
            models.Index(fields=["channel", "started_at"], name="consult_channel_time"),
            models.Index(
                fields=["counsellor", "started_at"], name="consult_staff_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("consultations:consultation_update", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.client.code if self.client_id else ""


class PartnerAgency(models.Model):
    """An agency that clients are referred or accompanied to (連携団体)."""

    class Category(models.TextChoices):
        CITY_OFFICE = "city_office", _("City office")
        HELLO_WORK = "hello_work", _("Hello Work")
        SOCIAL_WELFARE_COUNCIL = "social_welfare_council", _("Social welfare council")
        HEALTH_OFFICE = "health_office", _("Health and welfare office")
        POLICE = "police", _("Police")
        MEDICAL = "medical", _("Medical institution")
        NPO = "npo", _("NPO")
        WOMEN_SUPPORT_CENTRE = (
            "women_support_centre",
            _("Women's consultation support centre"),
        )
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner agency")
        verbose_name_plural = _("partner agencies")
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


class SupportAction(Scoped):
    """Follow-up after a consultation (支援): an interview, an accompaniment to
    an agency (同行支援), a referral, or other support."""

    organisation_from = "client"
    programme = programme_field()

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("Interview")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other follow-up")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"), db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        related_name="support_actions",
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="support_actions",
    )
    partner_agency = models.ForeignKey(
        PartnerAgency,
        verbose_name=_("partner agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="support_actions",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("support action")
        verbose_name_plural = _("support actions")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["interview", "accompaniment", "referral", "other"]
                ),
                name="support_action_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code


class UrgencyChange(Scoped):
    """The history of a case's urgency (緊急度), with the reason for each change."""

    organisation_from = "client"

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="urgency_changes",
    )
    old = models.CharField(_("from"), max_length=10, choices=Client.Urgency.choices)
    new = models.CharField(_("to"), max_length=10, choices=Client.Urgency.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("urgency change")
        verbose_name_plural = _("urgency changes")
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="urgency_change_has_reason"
            ),
            models.CheckConstraint(
                condition=~models.Q(old=models.F("new")), name="urgency_change_changes"
            ),
        ]

    def __str__(self):
        return f"{self.old} → {self.new}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code


class SafetyFlagClearance(Scoped):
    """A safety flag taken off a client, with who, when and why: supervisors
    see the recent ones on the team worklist."""

    organisation_from = "client"

    class Flag(models.TextChoices):
        # The flags' own field labels (Client).
        NO_PHONE_OR_MAIL = "no_phone_or_mail", _("do not contact by phone or mail")
        ADDRESS_CONFIDENTIAL = (
            "address_confidential",
            _("address must not be disclosed (DV support measure)"),
        )
        LINE_ONLY = "line_only", _("reply only in LINE")

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="flag_clearances",
    )
    flag = models.CharField(_("safety flag"), max_length=30, choices=Flag.choices)
    reason = models.TextField(_("reason"))
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cleared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    cleared_at = models.DateTimeField(_("cleared at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("safety flag clearance")
        verbose_name_plural = _("safety flag clearances")
        ordering = ["-cleared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="flag_clearance_has_reason"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    flag__in=["no_phone_or_mail", "address_confidential", "line_only"]
                ),
                name="flag_clearance_flag_valid",
            ),
        ]

    def __str__(self):
        return self.flag

    @property
    def audit_client_code(self) -> str:
        return self.client.code


class FollowUp(Scoped):
    """A next step with a due date and an owner: call back, interview,
    accompany. Completing it records what happened."""

    organisation_from = "client"

    class Kind(models.TextChoices):
        CALL_BACK = "call_back", _("Call back")
        INTERVIEW = "interview", _("Interview")
        ACCOMPANY = "accompany", _("Accompany")
        OTHER = "other", _("Other")

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    support_action = models.ForeignKey(
        SupportAction,
        verbose_name=_("support action"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    kind = models.CharField(_("next step"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("due date"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.TextField(_("what happened"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_date", "id"]
        constraints = [
            # Done means what happened is written down.
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True, outcome="")
                | (models.Q(done_at__isnull=False) & ~models.Q(outcome="")),
                name="follow_up_done_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "due_date"],
                name="followup_owner_due",
                condition=models.Q(done_at__isnull=True),
            ),
            # The team's follow-ups due, in the worklist's order.
            models.Index(
                fields=["due_date", "id"],
                name="followup_open_due",
                condition=models.Q(done_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_date:%Y-%m-%d}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code


# LINE intake, and consent and referrals (issue 19), live in their own
# packages; importing them here registers their models with this app.
from .consent.models import Consent, Referral  # noqa: E402, F401
from .line.models import (  # noqa: E402, F401
    CannedReply,
    LineAutoReply,
    LineAutoReplyClaim,
    LineChat,
    LineChatTransfer,
    LineMedia,
    LineMessage,
    LineUser,
    LineWebhookDay,
)

# Support coordination meetings (issue 20): their own package too.
from .meetings.models import (  # noqa: E402, F401
    CoordinationMeeting,
    MeetingCase,
    MeetingMember,
    MeetingRole,
)

# Assessments, support plans and closure requests (issue 19): their own
# package, registered with this app in the same way.
from .plans.models import (  # noqa: E402, F401
    ClosureRequest,
    PlanTask,
    SupportPlan,
    UrgencyAssessment,
)
