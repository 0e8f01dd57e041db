from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .search import normalise


class Client(models.Model):
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
    search_text = models.TextField(editable=False, default="")
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
        ]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    def save(self, *args, **kwargs):
        self.search_text = normalise(
            " ".join([self.code, self.display_name, self.kana, self.phone])
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("consultations:client_detail", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.code


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
