from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role, is_supervisor

from . import casework


def counsellor(user) -> dict:
    """The counsellor's home: follow-ups due and cases gone quiet (3 queries);
    for a supervisor, also the referrals made without consent (one more)."""
    from .consent import selectors as consent_selectors

    supervisor = is_supervisor(user)
    return {
        "overrides": consent_selectors.overrides_recent() if supervisor else None,
        "override_days": consent_selectors.OVERRIDE_DAYS,
        "template": "consultations/home_worklist.html",
        "title": _("My worklist"),
        "worklist": casework.worklist(user=user),
        "team_url": reverse("consultations:team_worklist")
        if has_role(user, Role.ADMIN)
        else "",
        "links": [
            (_("Record consultation"), reverse("consultations:consultation_create")),
            (_("Find a client"), reverse("consultations:client_list")),
            (_("New client"), reverse("consultations:client_create")),
        ],
    }
