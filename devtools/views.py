"""The LINE simulator: a phone-like page where one writes as a client.

Only while LINE_SIMULATOR is on, and for counsellors and admins (the staff
who answer LINE). The actions post signed webhook bodies to the app's real
webhook over HTTP, so they are not run inside the request's transaction."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urljoin

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.audit import Action, audit
from accounts.roles import Role, role_required

from . import selectors, simulator
from .forms import PersonForm, SendForm
from .line_api import simulator_enabled
from .models import SimulatedPerson


def simulator_view(view):
    """Counsellors and admins, and only while the simulator is on."""

    @role_required(Role.COUNSELLOR)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not simulator_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _webhook_url(request, person: SimulatedPerson) -> str:
    """Where LINE would post for the person's official account: its own
    webhook (/line/webhook/<channel>/), or for a person of no account the
    settings' one (/line/webhook/). LINE_SIMULATOR_WEBHOOK_URL, when set,
    is the legacy URL and gives the server's address; else this server's."""
    configured = getattr(settings, "LINE_SIMULATOR_WEBHOOK_URL", "")
    if person.channel_id is None:
        return configured or request.build_absolute_uri(reverse("line:webhook"))
    path = person.channel.get_webhook_path()
    return urljoin(configured, path) if configured else request.build_absolute_uri(path)


def _person(pk) -> SimulatedPerson:
    return get_object_or_404(SimulatedPerson.objects.select_related("channel"), pk=pk)


def _after_post(request, event) -> None:
    if event is not None and event.webhook_status != 200:
        messages.error(
            request,
            _("The webhook answered %(status)s.")
            % {"status": event.webhook_status or _("nothing (not reached)")},
        )


@simulator_view
@require_GET
def index(request):
    return render(
        request,
        "devtools/simulator_index.html",
        {
            "people": SimulatedPerson.objects.select_related("channel")[:50],
            "form": PersonForm(),
        },
    )


@simulator_view
@require_POST
@transaction.non_atomic_requests
def create_person(request):
    form = PersonForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "devtools/simulator_index.html",
            {
                "people": SimulatedPerson.objects.select_related("channel")[:50],
                "form": form,
            },
        )
    person = simulator.person_create(
        display_name=form.cleaned_data["display_name"],
        channel=form.cleaned_data["channel"],
    )
    if form.cleaned_data["follow"]:
        url = _webhook_url(request, person)
        _after_post(request, simulator.follow(person=person, webhook_url=url))
    return redirect("line_simulator:phone", pk=person.pk)


def _phone(request, person, form=None, status=200):
    audit(user=request.user, action=Action.VIEW, obj=person)
    return render(
        request,
        "devtools/simulator_phone.html",
        {
            "person": person,
            "items": selectors.feed(person=person),
            "form": form or SendForm(),
            "can_unsend": selectors.can_unsend(person=person),
        },
        status=status,
    )


@simulator_view
@require_GET
def phone(request, pk):
    return _phone(request, _person(pk))


@simulator_view
@require_GET
def feed(request, pk):
    """The conversation alone, for the page's 2-second refresh."""
    person = _person(pk)
    return render(
        request,
        "devtools/includes/simulator_feed.html",
        {"person": person, "items": selectors.feed(person=person)},
    )


@simulator_view
@require_POST
@transaction.non_atomic_requests
def send(request, pk):
    person = _person(pk)
    form = SendForm(request.POST, request.FILES)
    if not form.is_valid():
        return _phone(request, person, form=form, status=400)
    url = _webhook_url(request, person)
    text, upload = form.cleaned_data["text"], form.cleaned_data["attachment"]
    if text:
        _after_post(
            request, simulator.send_text(person=person, text=text, webhook_url=url)
        )
    if upload:
        event = simulator.send_media(
            person=person,
            content=upload.read(),
            content_type=upload.content_type or "",
            file_name=upload.name,
            webhook_url=url,
        )
        _after_post(request, event)
    return redirect("line_simulator:phone", pk=person.pk)


@simulator_view
@require_POST
@transaction.non_atomic_requests
def follow(request, pk):
    person = _person(pk)
    _after_post(
        request,
        simulator.follow(person=person, webhook_url=_webhook_url(request, person)),
    )
    return redirect("line_simulator:phone", pk=person.pk)


@simulator_view
@require_POST
@transaction.non_atomic_requests
def unfollow(request, pk):
    person = _person(pk)
    _after_post(
        request,
        simulator.unfollow(person=person, webhook_url=_webhook_url(request, person)),
    )
    return redirect("line_simulator:phone", pk=person.pk)


@simulator_view
@require_POST
@transaction.non_atomic_requests
def unsend(request, pk):
    person = _person(pk)
    event = simulator.unsend_last(
        person=person, webhook_url=_webhook_url(request, person)
    )
    if event is None:
        messages.error(request, _("There is no message to unsend."))
    _after_post(request, event)
    return redirect("line_simulator:phone", pk=person.pk)


@simulator_view
@require_POST
@transaction.non_atomic_requests
def quick_reply(request, pk):
    """Tap a quick reply button of the account's last message (the consent
    button of the greeting, for one): a signed postback event to the
    webhook."""
    person = _person(pk)
    try:
        delivery, index = int(request.POST["delivery"]), int(request.POST["index"])
    except (KeyError, ValueError):
        delivery = index = -1
    event = simulator.tap_quick_reply(
        person=person,
        delivery_id=delivery,
        index=index,
        webhook_url=_webhook_url(request, person),
    )
    if event is None:
        messages.error(request, _("That button is no longer there."))
    _after_post(request, event)
    return redirect("line_simulator:phone", pk=person.pk)
