"""The programme column of activity records (issue 18), defined once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


def programme_field():
    """The programme a record was done under: empty until the rules
    (reports.attribution) or a person give it one."""
    return models.ForeignKey(
        "reports.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The programme this was done under (事業)."),
    )
