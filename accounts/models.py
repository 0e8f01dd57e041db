from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .links import person_name


class Organisation(models.Model):
    """Who holds records: an NPO or a municipal desk (issue 18). Every personal
    record belongs to one, and a user sees only the records of the
    organisations she belongs to (accounts.scoping)."""

    class Kind(models.TextChoices):
        NPO = "npo", _("NPO")
        MUNICIPAL = "municipal", _("Municipal desk")

    name = models.CharField(_("organisation name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.NPO
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name=""), name="organisation_name_not_blank"
            ),
        ]

    def __str__(self):
        return self.name


class Funder(models.Model):
    """Who pays for programmes: a municipality or a prefecture. Its city staff
    see the reports of the programmes it funds, whoever runs them, and never
    a personal record."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        PREFECTURE = "prefecture", _("Prefecture")

    name = models.CharField(_("funder name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.MUNICIPALITY
    )

    class Meta:
        verbose_name = _("funder")
        verbose_name_plural = _("funders")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name=""), name="funder_name_not_blank"
            ),
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff. Roles are groups (see accounts.roles)."""

    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations"),
        blank=True,
        related_name="members",
        help_text=_("She sees and records only the records of these."),
    )
    funder = models.ForeignKey(
        Funder,
        verbose_name=_("funder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("City staff: the municipality or prefecture she works for."),
    )

    # A counsellor on supervisor duty (the MHLW guideline for SNS
    # consultations asks for one on shift): sees every live LINE chat and can
    # take one over or reassign it. Admins always can.
    is_supervisor = models.BooleanField(
        _("supervisor"),
        default=False,
        help_text=_(
            "Sees every live LINE chat and can take one over or reassign it "
            "(admins always can)."
        ),
    )

    # WCAG 2.1.4: single-key shortcuts can be turned off.
    keyboard_shortcuts = models.BooleanField(
        _("single-key shortcuts"),
        default=True,
        help_text=_(
            "On the consultation form, the keys 1 to 6 pick the channel while "
            "a channel button has the focus."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        """Family name first, as in Japanese; the username when no name."""
        return person_name(self.last_name, self.first_name, self.get_username())

    def has_role(self, *roles: str) -> bool:
        from .roles import has_role

        return has_role(self, *roles)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """Who did what to which record about a client, when, and from where.

    Entries hold codes and ids, never names or other personal data, and
    are written once: the model refuses updates and deletes.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Created")
        CHANGE = "change", _("Changed")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    client_code = models.CharField(
        _("client code"), max_length=20, blank=True, db_index=True
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("path or command"), max_length=255, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


class DemoData(models.Model):
    """Present only in a database that ``manage.py seed_demo`` filled: the
    fiscal year its data is about. Pages that open on a period when none is
    asked for (the calendar, the report, the opening days) open on that year
    rather than on an empty present (``accounts.opening``). One row at most."""

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("demo data")
        verbose_name_plural = _("demo data")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="accounts_demodata_single_row"
            )
        ]

    def __str__(self):
        return str(self.fiscal_year)


class DataVersion(models.Model):
    """One row: a random token that triggers renew whenever the data of the
    tables that cached page parts read changes (``accounts.dataversion``).
    No personal data."""

    token = models.CharField(max_length=36)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data version")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="accounts_dataversion_single_row"
            )
        ]

    def __str__(self):
        return self.token
