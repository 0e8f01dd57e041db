from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors


def counsellor(user) -> dict:
    """The LINE inbox on the start page: unread messages (one query)."""
    totals = selectors.unread_totals()
    return {
        "title": _("LINE inbox"),
        "figures": [
            (_("Unread LINE messages"), totals["messages"]),
            (_("Conversations with unread messages"), totals["conversations"]),
        ],
        "links": [(_("Open the LINE inbox"), reverse("line:inbox"))],
    }
