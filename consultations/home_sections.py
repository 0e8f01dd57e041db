from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Client


def counsellor(user) -> dict:
    figures = Client.objects.aggregate(
        mine=Count("pk", filter=Q(assigned_counsellor=user, status=Client.Status.OPEN)),
        open=Count("pk", filter=Q(status=Client.Status.OPEN)),
    )
    return {
        "title": _("Casework"),
        "figures": [
            (_("My open cases"), figures["mine"]),
            (_("Open cases in total"), figures["open"]),
        ],
        "links": [
            (_("Find a client"), reverse("consultations:client_list")),
            (_("New client"), reverse("consultations:client_create")),
        ],
    }
