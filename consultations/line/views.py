"""The webhook (public, signed) and the counsellors' inbox and conversation
pages. Views parse input and call one service or selector."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DataError, IntegrityError, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import dataversion, scoping
from accounts.audit import Action, audit
from accounts.roles import (
    Role,
    is_supervisor,
    role_required,
    supervisor_required,
    user_roles,
)

from . import canned, chats, health, live, messaging, selectors, services
from . import media as line_media
from .forms import (
    ChatEndForm,
    ChatTransferForm,
    InboxFilterForm,
    LinkClientForm,
    NewClientForm,
    RecordConsultationForm,
    ReplyForm,
    counsellors,
)
from .models import LineChannel, LineChat, LineMedia, LineMessage, LineUser
from .webhook import PayloadError, parse_payload, signature_is_valid

logger = logging.getLogger(__name__)

counsellors_only = role_required(Role.COUNSELLOR)


# WEBHOOK
# ------------------------------------------------------------------------------


@csrf_exempt
@login_not_required
@require_POST
@transaction.non_atomic_requests
def channel_webhook(request, channel_id):
    """One LINE official account posts its events here
    (/line/webhook/<channel_id>/), signed with its own secret; they are
    stored in its organisation. An unknown or inactive account is a bare
    404. The account is read unscoped (the request is anonymous): one query."""
    channel = LineChannel._base_manager.filter(
        channel_id=channel_id, active=True
    ).first()
    if channel is None:
        return HttpResponseNotFound("not found", content_type="text/plain")
    return _receive(
        request,
        secret=channel.secret,
        organisation_id=channel.organisation_id,
        channel=channel,
    )


@csrf_exempt
@login_not_required
@require_POST
@transaction.non_atomic_requests
def webhook(request):
    """The legacy single-account webhook (/line/webhook/), verified with the
    settings' LINE_CHANNEL_SECRET: for a database with one organisation,
    whose records its events become. With several organisations each
    account has its own URL, and this one answers 404."""
    try:
        # The database's one organisation (made on a fresh install).
        organisation_id = scoping.organisation_for_new_record(None)
    except ValidationError:
        logger.error(
            "LINE webhook: /line/webhook/ serves a database with one "
            "organisation only; use each account's /line/webhook/<channel>/"
        )
        return HttpResponseNotFound("not found", content_type="text/plain")
    return _receive(request, secret=None, organisation_id=organisation_id)


def _receive(request, *, secret, organisation_id, channel=None):
    """Check the signature over the raw body before anything is read, then
    store the events in the organisation's scope; the answer comes without
    any outgoing call."""
    body = request.body
    if not signature_is_valid(body, request.headers.get("X-Line-Signature"), secret):
        logger.warning("LINE webhook: refused a request with a bad or no signature")
        health.record(health.Outcome.BAD_SIGNATURE)
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    try:
        events = parse_payload(body)
    except PayloadError as exc:
        logger.warning("LINE webhook: refused a signed but malformed body (%s)", exc)
        health.record(health.Outcome.MALFORMED)
        return HttpResponseBadRequest("malformed payload", content_type="text/plain")
    try:
        with scoping.organisations([organisation_id]):
            stored = _store(events, channel)
    except Exception:
        health.record(health.Outcome.STORE_FAILED, events=len(events))
        raise
    logger.info("LINE webhook: %d events received, %d stored", len(events), stored)
    health.record(health.Outcome.RECEIVED, events=len(events))
    return HttpResponse("OK", content_type="text/plain")


# What the database (or the driver, encoding a value) refuses in the data of an
# event. An outage (OperationalError) is not caught: the 500 makes LINE
# redeliver the whole delivery, and stored events are not stored twice.
REFUSED_DATA = (DataError, IntegrityError, ValueError)


def _store(events, channel) -> int:
    """Store the events in one transaction; if the database refuses that,
    store them one by one, each in its own transaction, so that one bad event
    cannot lose the good ones. A refused event is logged by kind and id."""
    try:
        return services.line_events_store(events=events, channel=channel)
    except REFUSED_DATA:
        logger.warning(
            "LINE webhook: the database refused a delivery; retrying by event"
        )
    stored = 0
    for event in events:
        try:
            stored += services.line_events_store(events=[event], channel=channel)
        except REFUSED_DATA as exc:
            health.record(health.Outcome.STORE_FAILED, events=1)
            logger.error(
                "LINE webhook: the database refused a %s event %s (%s)",
                event.kind,
                event.webhook_event_id,
                type(exc).__name__,
            )
    return stored


# STATUS (admins)
# ------------------------------------------------------------------------------


@role_required(Role.ADMIN)
@require_GET
def status(request):
    """Whether LINE is set up and the webhook is being called, for admins:
    the official accounts of the admin's organisations with their webhook
    URLs (whether a secret and a token are stored, never their values)."""
    channels = list(LineChannel.objects.select_related("organisation"))
    for channel in channels:
        channel.webhook_url = request.build_absolute_uri(channel.get_webhook_path())
    context = {
        **health.webhook_status(),
        "channels": channels,
        "legacy_webhook_url": request.build_absolute_uri(reverse("line:webhook")),
    }
    return render(request, "consultations/line_status.html", context)


# INBOX
# ------------------------------------------------------------------------------


@counsellors_only
@require_GET
def inbox(request):
    form = InboxFilterForm(request.GET or None)
    unread_only = form.is_valid() and form.cleaned_data["unread"]
    users = selectors.inbox(fetched_by=request.user, unread_only=unread_only)
    paginator = Paginator(users, 50)
    # Kept in memory until a conversation changes (accounts.dataversion).
    paginator.count = dataversion.cached_count(users)
    page = paginator.get_page(request.GET.get("page"))
    queue, mine, open_chats = selectors.desk_chats(by=request.user)
    page.object_list = selectors.inbox_rows(page.object_list, open_chats=open_chats)
    return render(
        request,
        "consultations/line_inbox.html",
        {
            "page": page,
            "form": form,
            "unread_only": unread_only,
            "quotas": selectors.quotas(),
            "queue": queue,
            "mine": mine,
            "is_supervisor": is_supervisor(request.user),
        },
    )


# CONVERSATION
# ------------------------------------------------------------------------------


def _line_user(pk) -> LineUser:
    return get_object_or_404(LineUser.objects.select_related("client"), pk=pk)


def _record_form(line_user: LineUser, day_param: str | None, days: list[dict]):
    """The "record as consultation" form for the chosen day (by default the
    oldest day still to record), filled with that day's messages."""
    if line_user.client_id is None or not days:
        return None, None
    chosen = parse_date(day_param) if day_param else None
    if chosen not in {d["day"] for d in days}:
        chosen = days[0]["day"]
    day_messages = list(
        selectors.day_unrecorded(line_user=line_user, day=chosen).select_related(
            "sent_by"
        )
    )
    if not day_messages:
        return None, chosen
    form = RecordConsultationForm(
        initial={
            "day": chosen,
            "up_to": max(m.pk for m in day_messages),
            "started_at": timezone.localtime(day_messages[0].sent_at),
            "summary": selectors.day_summary(day_messages),
        }
    )
    return form, chosen


def _render_conversation(request, line_user: LineUser, **forms):
    """The conversation page. Opening it marks the person's messages read and
    is audited like opening a client record."""
    services.line_messages_mark_read(line_user=line_user)
    conversation, has_older = selectors.conversation(line_user=line_user)
    days = selectors.unrecorded_days(line_user=line_user)
    record_form, chosen_day = forms.pop("record_form", None), None
    if record_form is None:
        record_form, chosen_day = _record_form(line_user, request.GET.get("day"), days)
    else:
        chosen_day = record_form["day"].value()
    last_message_id = max((m.pk for m in conversation), default=0)
    context = {
        "line_user": line_user,
        "conversation": conversation,
        "last_message_id": last_message_id,
        "has_older": has_older,
        "limit": selectors.CONVERSATION_LIMIT,
        "media_max_bytes": settings.LINE_MEDIA_MAX_BYTES,
        "days": days,
        "chosen_day": chosen_day,
        "record_form": record_form,
        "link_form": forms.pop("link_form", None) or LinkClientForm(),
        "new_client_form": forms.pop("new_client_form", None)
        or NewClientForm(initial={"display_name": line_user.display_name}),
        "reply_form": forms.pop("reply_form", None)
        or ReplyForm(
            client=line_user.client,
            line_user=line_user,
            initial={"seen_message_id": last_message_id},
        ),
        "canned_replies": canned.canned_replies_for(counsellor=request.user),
    }
    context.update(_chat_context(request, line_user, forms))
    audit(user=request.user, action=Action.VIEW, obj=line_user)
    return render(request, "consultations/line_conversation.html", context)


def _chat_context(request, line_user: LineUser, forms: dict) -> dict:
    """The chat panel: the open chat, what the viewer may do with it, its
    forms, and the person's chats and transfers shown among the messages.
    The LINE user id is for admins; the profile picture for admins, and for
    counsellors only with LINE_SHOW_PROFILE_PICTURE."""
    chat = selectors.open_chat(line_user=line_user)
    supervisor = is_supervisor(request.user)
    holds = chat is not None and chat.claimed_by_id == request.user.pk
    may_act = chat is not None and chat.status == LineChat.Status.ACTIVE
    may_act = may_act and (holds or supervisor)
    history, transfers = selectors.chat_history(line_user=line_user)
    end_form = forms.pop("end_form", None)
    if end_form is None and may_act:
        end_form = ChatEndForm(
            line_user=line_user,
            initial={"summary": selectors.chat_summary(chat=chat)},
        )
    transfer_form = forms.pop("transfer_form", None)
    if transfer_form is None and may_act:
        transfer_form = ChatTransferForm(exclude=chat.claimed_by_id)
    is_admin = Role.ADMIN in user_roles(request.user)
    return {
        "chat": chat,
        "holds_chat": holds,
        "may_act": may_act,
        "is_supervisor": supervisor,
        "end_form": end_form,
        "transfer_form": transfer_form,
        # "Past chats": the ended ones (the open one has its own panel).
        "chat_history": [c for c in history if c.status == LineChat.Status.ENDED],
        "transfers": transfers,
        "show_line_id": is_admin,
        "show_picture": is_admin or settings.LINE_SHOW_PROFILE_PICTURE,
    }


@counsellors_only
@require_GET
def conversation(request, pk):
    return _render_conversation(request, _line_user(pk))


@counsellors_only
@require_POST
def link_client(request, pk):
    line_user = _line_user(pk)
    form = LinkClientForm(request.POST, organisation_id=line_user.organisation_id)
    if not form.is_valid():
        return _render_conversation(request, line_user, link_form=form)
    client = form.cleaned_data["client"]
    services.line_user_link_client(line_user=line_user, client=client, by=request.user)
    messages.success(
        request,
        _("The LINE user is now linked to client %(code)s.") % {"code": client.code},
    )
    return redirect(line_user)


@counsellors_only
@require_POST
def create_client(request, pk):
    line_user = _line_user(pk)
    form = NewClientForm(request.POST)
    if not form.is_valid():
        return _render_conversation(request, line_user, new_client_form=form)
    client = services.line_user_create_client(
        line_user=line_user,
        by=request.user,
        display_name=form.cleaned_data["display_name"],
    )
    messages.success(
        request,
        _("Client %(code)s was created and linked to the LINE user.")
        % {"code": client.code},
    )
    return redirect(line_user)


@counsellors_only
@require_POST
def record(request, pk):
    line_user = _line_user(pk)
    form = RecordConsultationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            consultation = services.consultation_record_from_line(
                line_user=line_user,
                by=request.user,
                day=data["day"],
                up_to_message_id=data["up_to"],
                started_at=data["started_at"],
                summary=data["summary"],
                main_complaint=data["main_complaint"],
                other_problems=data["other_problems"],
                duration_minutes=data["duration_minutes"],
            )
        except ValidationError as exc:
            # The state changed (recorded by someone else, link removed):
            # say so on the fresh page rather than on a stale form.
            for message in exc.messages:
                messages.error(request, message)
            return redirect(line_user)
        else:
            messages.success(
                request,
                _(
                    "The messages of %(day)s were recorded as a LINE consultation "
                    "for client %(code)s."
                )
                % {
                    "day": data["day"].strftime("%Y-%m-%d"),
                    "code": consultation.client.code,
                },
            )
            return redirect(line_user)
    return _render_conversation(request, line_user, record_form=form)


@counsellors_only
@require_POST
@transaction.non_atomic_requests
def reply(request, pk):
    """Send a reply through the Messaging API. Not inside the request's
    transaction: no database lock is held while LINE answers."""
    line_user = _line_user(pk)
    form = ReplyForm(request.POST, client=line_user.client, line_user=line_user)
    if not form.is_valid():
        return _render_conversation(request, line_user, reply_form=form)
    try:
        message = services.line_reply_send(
            line_user=line_user,
            by=request.user,
            text=form.cleaned_data["text"],
            retry_key=form.cleaned_data["retry_key"],
            confirmed_not_friend=form.cleaned_data.get("not_friend_confirmed", False),
            seen_message_id=form.cleaned_data["seen_message_id"],
            confirmed_stale=form.cleaned_data.get("stale_confirmed", False),
        )
    except services.StaleView:
        # The person wrote after the page was drawn: nothing was sent; the
        # page shows the new message and asks for the confirmation.
        form = ReplyForm(
            request.POST, client=line_user.client, line_user=line_user, stale=True
        )
        form.is_valid()
        return _render_conversation(request, line_user, reply_form=form)
    except chats.ChatError as exc:
        # Someone else holds the chat, or won the claim: nothing was sent.
        for message in exc.messages:
            messages.error(request, message)
        return _render_conversation(request, line_user, reply_form=form)
    except services.NotAFriend:
        # Found out just now (the profile API): ask for the confirmation.
        form = ReplyForm(request.POST, client=line_user.client, line_user=line_user)
        form.is_valid()
        return _render_conversation(request, line_user, reply_form=form)
    except messaging.LineApiError as exc:
        messages.error(request, _reply_error(exc))
        return _render_conversation(request, line_user, reply_form=form)
    _report_status(request, message)
    return redirect(reverse("line:conversation", args=[pk]) + "#reply")


# CHATS
# ------------------------------------------------------------------------------


def _chat(pk) -> LineChat:
    return get_object_or_404(
        LineChat.objects.select_related("line_user__client", "claimed_by"), pk=pk
    )


def _back(request, chat: LineChat):
    """Back to the supervision page if the action came from there, else to
    the conversation's chat panel."""
    if request.POST.get("from") == "supervision":
        return redirect("line:supervision")
    return redirect(reverse("line:conversation", args=[chat.line_user_id]) + "#chat")


def _refused(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@counsellors_only
@require_POST
def chat_claim(request, pk):
    chat = _chat(pk)
    try:
        chats.chat_claim(chat=chat, by=request.user)
    except chats.ChatError as exc:
        _refused(request, exc)
        if request.POST.get("from") == "inbox":
            return redirect("line:inbox")
    else:
        messages.success(request, _("You are now handling this chat."))
    return redirect(reverse("line:conversation", args=[chat.line_user_id]) + "#chat")


@counsellors_only
@require_POST
def chat_transfer(request, pk):
    chat = _chat(pk)
    form = ChatTransferForm(request.POST, exclude=chat.claimed_by_id)
    if not form.is_valid():
        if request.POST.get("from") == "supervision":
            _refused(request, ValidationError(list(form.errors.values())))
            return redirect("line:supervision")
        return _render_conversation(request, chat.line_user, transfer_form=form)
    to = form.cleaned_data["to"]
    try:
        chats.chat_transfer(
            chat=chat, to=to, note=form.cleaned_data["note"], by=request.user
        )
    except chats.ChatError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("The chat was handed to %(name)s.") % {"name": to.display_name},
        )
    return _back(request, chat)


@supervisor_required
@require_POST
def chat_take_over(request, pk):
    chat = _chat(pk)
    try:
        chats.chat_take_over(chat=chat, by=request.user)
    except chats.ChatError as exc:
        _refused(request, exc)
        return _back(request, chat)
    messages.success(request, _("You have taken over this chat."))
    return redirect(reverse("line:conversation", args=[chat.line_user_id]) + "#chat")


@counsellors_only
@require_POST
def chat_end(request, pk):
    chat = _chat(pk)
    line_user = chat.line_user
    form = ChatEndForm(request.POST, line_user=line_user)
    if not form.is_valid():
        return _render_conversation(request, line_user, end_form=form)
    data = form.cleaned_data
    try:
        consultation = chats.chat_end(
            chat=chat,
            outcome=data["outcome"],
            by=request.user,
            summary=data["summary"],
            client=data.get("client"),
            anonymous=data.get("anonymous", False),
            main_complaint=data["main_complaint"],
            other_problems=data["other_problems"],
        )
    except chats.ChatError as exc:
        _refused(request, exc)
        return redirect(reverse("line:conversation", args=[line_user.pk]) + "#chat")
    if consultation.client_id:
        text = _(
            "The chat has ended and was recorded as a LINE consultation for "
            "client %(code)s."
        ) % {"code": consultation.client.code}
    else:
        text = _(
            "The chat has ended and was recorded as an anonymous LINE consultation."
        )
    messages.success(request, text)
    return redirect(line_user)


@supervisor_required
@require_GET
def supervision(request):
    """Every live chat, for supervisors: who holds it, how long the person
    has waited, the time since the last message; take over or reassign."""
    live = selectors.chats_live()
    audit(
        user=request.user,
        action=Action.VIEW,
        object_type=LineChat._meta.label_lower,
        detail="supervision list",
    )
    return render(
        request,
        "consultations/line_supervision.html",
        {
            "chats": live,
            "counsellors": list(counsellors()) if live else [],
        },
    )


def _report_status(request, message) -> None:
    """Say truthfully what became of a reply."""
    Status = message.Status
    if message.status == Status.SENT and message.to_non_friend:
        messages.warning(
            request,
            _(
                "LINE accepted the reply but may not deliver it: this person is "
                "not a friend of the account."
            ),
        )
    elif message.status == Status.SENT:
        messages.success(request, _("The reply was sent."))
    elif message.status == Status.UNCERTAIN:
        messages.warning(
            request,
            _(
                "LINE did not answer in time: the reply may have been sent. It "
                "is kept as it was sent; send the same again or discard it below."
            ),
        )
    elif message.status == Status.QUEUED:
        messages.warning(
            request,
            _(
                "LINE asked to wait (too many requests): the reply is queued and "
                "will be sent in a moment."
            ),
        )
    else:
        messages.error(request, _("The reply was not sent."))


def _reply_error(exc: messaging.LineApiError) -> str:
    if exc.not_configured:
        return _("LINE is not set up (no access token). The reply was not sent.")
    if exc.status is None:
        return _(
            "LINE could not be reached. The reply was not sent; "
            "your text is kept below, try again in a moment."
        )
    if exc.monthly_limit:
        return _(
            "This month's LINE messages are used up (LINE's monthly limit). The "
            "reply was not sent; your text is kept below. The inbox shows the "
            "messages used and left."
        )
    return _(
        "LINE refused the reply (error %(status)s). The reply was not sent; "
        "your text is kept below."
    ) % {"status": exc.status}


def _outgoing(line_user: LineUser, message_pk) -> LineMessage:
    return get_object_or_404(
        LineMessage.objects.select_related("line_user"),
        pk=message_pk,
        line_user=line_user,
        direction=LineMessage.Direction.OUTGOING,
    )


def _holder_may_act(request, message: LineMessage) -> bool:
    """Sending an uncertain reply again, or discarding it, is for whoever
    holds its chat (or a supervisor), like a reply."""
    try:
        chats.check_holder(chat_id=message.chat_id, by=request.user)
    except chats.ChatError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return False
    return True


@counsellors_only
@require_POST
@transaction.non_atomic_requests
def resend(request, pk, message_pk):
    """ "May have been sent: send the same again": the stored text and retry
    key, so LINE delivers it once."""
    line_user = _line_user(pk)
    message = _outgoing(line_user, message_pk)
    if not _holder_may_act(request, message):
        return redirect(reverse("line:conversation", args=[pk]) + "#reply")
    if message.status != LineMessage.Status.UNCERTAIN:
        messages.info(request, _("This reply is no longer waiting for a decision."))
        return redirect(reverse("line:conversation", args=[pk]) + "#reply")
    try:
        services.line_reply_resend(message=message, by=request.user)
    except messaging.LineApiError as exc:
        messages.error(
            request,
            _(
                "LINE did not accept it this time (%(error)s). The reply is still "
                "marked as possibly sent."
            )
            % {"error": exc.status or _("no answer")},
        )
    else:
        _report_status(request, message)
    return redirect(reverse("line:conversation", args=[pk]) + "#reply")


@counsellors_only
@require_POST
def discard(request, pk, message_pk):
    """Give up a "may have been sent" reply; it stays in the record as not
    delivered."""
    line_user = _line_user(pk)
    message = _outgoing(line_user, message_pk)
    if not _holder_may_act(request, message):
        return redirect(reverse("line:conversation", args=[pk]) + "#reply")
    services.line_reply_discard(message=message, by=request.user)
    if message.status == LineMessage.Status.DISCARDED:
        messages.success(
            request, _("The reply was discarded; it is kept as not delivered.")
        )
    return redirect(reverse("line:conversation", args=[pk]) + "#reply")


@counsellors_only
@require_POST
@transaction.non_atomic_requests
def refresh_profile(request, pk):
    line_user = _line_user(pk)
    try:
        services.line_user_refresh_profile(line_user=line_user, by=request.user)
    except messaging.LineApiError as exc:
        logger.warning(
            "LINE profile of LINE user #%s not fetched (HTTP status %s)",
            line_user.pk,
            exc.status,
        )
        if exc.not_found:
            messages.error(
                request,
                _(
                    "LINE has no profile for this person: they are not a friend "
                    "of the account."
                ),
            )
        else:
            messages.error(request, _("The LINE profile could not be fetched."))
    else:
        messages.success(request, _("The LINE display name was updated."))
    return redirect(line_user)


# MEDIA
# ------------------------------------------------------------------------------


def _media_item(pk, message_pk) -> LineMedia:
    return get_object_or_404(
        LineMedia.objects.select_related("message__line_user__client"),
        message__pk=message_pk,
        message__line_user__pk=pk,
    )


def _serve(request, item: LineMedia, name: str, content_type: str, what: str):
    """A private file: to this user only, never cached, never sniffed by the
    browser, never run as a page; images shown, anything else downloaded."""
    if item.status != LineMedia.Status.DOWNLOADED or not name:
        raise Http404
    if item.message.unsent:  # the person withdrew it (送信取消)
        raise Http404
    try:
        file = line_media.storage.open(name, "rb")
    except FileNotFoundError:
        logger.error("LINE content #%s: its file is missing from storage", item.pk)
        raise Http404 from None
    inline = content_type.startswith("image/")
    response = FileResponse(
        file,
        content_type=content_type,
        as_attachment=not inline,
        filename=line_media.download_name(item.message, content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    audit(user=request.user, action=Action.VIEW, obj=item, detail=what)
    return response


@counsellors_only
@require_GET
def media(request, pk, message_pk):
    """The content of an image, video, voice or file message, as downloaded."""
    item = _media_item(pk, message_pk)
    return _serve(request, item, item.stored_name, item.content_type, "content")


@counsellors_only
@require_GET
def media_thumbnail(request, pk, message_pk):
    item = _media_item(pk, message_pk)
    return _serve(request, item, item.thumbnail_name, "image/jpeg", "thumbnail")


@counsellors_only
@require_POST
def media_retry(request, pk, message_pk):
    """Queue a failed download again."""
    item = _media_item(pk, message_pk)
    if services.line_media_retry(media_item=item, by=request.user):
        messages.success(
            request, _("The content will be downloaded from LINE again shortly.")
        )
    else:
        messages.info(request, _("This content is not waiting for a retry."))
    return redirect(
        reverse("line:conversation", args=[pk]) + f"#message-{item.message_id}"
    )


# LIVE UPDATES (static/js/line_live.js; see consultations/line/live.py)
# ------------------------------------------------------------------------------
# The open inbox, conversation and home worklist poll these with the page's
# token and If-None-Match: 304 while nothing changed (one query in all), else
# the page's part drawn again by the template the page itself includes.


def _live_refused():
    """No valid token, an ended session, or a user who may no longer read
    LINE conversations: the page stops polling and says so."""
    response = HttpResponse("refused", status=403, content_type="text/plain")
    response["Cache-Control"] = "private, no-store"
    return response


def _live_state(request, line_user_id=None):
    who = live.token_user_id(request)
    if who is None:
        return None, None
    user_id, session_key = who
    scoping.enter(scoping.Scope(user_id=user_id))
    state = live.poll(
        user_id=user_id, session_key=session_key, line_user_id=line_user_id
    )
    return user_id, state


def _live_answer(request, tag: str, render_fragment):
    if live.unchanged(request, tag):
        response = HttpResponse(status=304)
    else:
        response = render_fragment()
    response["ETag"] = tag
    # Never kept, by the browser or a proxy (the page holds the ETag itself).
    response["Cache-Control"] = "no-store, private"
    return response


def _live_viewer(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user_id)


@scoping.own_scope
@login_not_required
@require_GET
@transaction.non_atomic_requests
def conversation_updates(request, pk):
    """The messages after ``after`` (an id) of an open conversation page.
    Drawn only when the person's newest message changed; shown messages are
    marked read when the page is in view (``seen=1``), as opening it does."""
    user_id, state = _live_state(request, line_user_id=pk)
    if state is None:
        return _live_refused()
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        return HttpResponseBadRequest("bad cursor", content_type="text/plain")

    def fragment():
        line_user = _line_user(pk)
        new = list(
            LineMessage.objects.filter(line_user=line_user, pk__gt=after)
            .select_related("sent_by", "media")
            .order_by("sent_at", "id")[: selectors.CONVERSATION_LIMIT]
        )
        selectors.attach_quoted(new, line_user=line_user)
        if new:
            with transaction.atomic():
                if request.GET.get("seen") == "1":
                    services.line_messages_mark_read(line_user=line_user)
                audit(
                    user=_live_viewer(user_id),
                    action=Action.VIEW,
                    obj=line_user,
                    detail="live update",
                )
        response = render(
            request,
            "consultations/includes/line_messages_new.html",
            {"messages": new, "media_max_bytes": settings.LINE_MEDIA_MAX_BYTES},
        )
        response["X-Last-Message"] = str(max([after, *(m.pk for m in new)]))
        return response

    return _live_answer(request, live.etag("c", state, pk), fragment)


@scoping.own_scope
@login_not_required
@require_GET
@transaction.non_atomic_requests
def inbox_updates(request):
    """The queue, my chats and the rows of an open desk page (same filter and
    page number)."""
    user_id, state = _live_state(request)
    if state is None:
        return _live_refused()

    def fragment():
        form = InboxFilterForm(request.GET or None)
        unread_only = form.is_valid() and form.cleaned_data["unread"]
        users = selectors.inbox(fetched_by=None, unread_only=unread_only)
        page = Paginator(users, 50).get_page(request.GET.get("page"))
        viewer = _live_viewer(user_id)
        queue, mine, open_chats = selectors.desk_chats(by=viewer)
        page.object_list = selectors.inbox_rows(page.object_list, open_chats=open_chats)
        return render(
            request,
            "consultations/includes/line_inbox_live.html",
            {
                "page": page,
                "unread_only": unread_only,
                "queue": queue,
                "mine": mine,
                "is_supervisor": is_supervisor(viewer),
            },
        )

    return _live_answer(request, live.etag("i", state), fragment)


@scoping.own_scope
@login_not_required
@require_GET
@transaction.non_atomic_requests
def worklist_updates(request):
    """The unread LINE conversations of an open home worklist (its first
    rows, count and link), or of the open page of the whole list
    (``list=all``, same page number)."""
    from .. import casework

    user_id, state = _live_state(request)
    if state is None:
        return _live_refused()

    def fragment():
        viewer = _live_viewer(user_id)
        conversations = casework.unread_line_conversations(user=viewer)
        if request.GET.get("list") == "all":
            page = Paginator(conversations, casework.WORKLIST_PAGE_SIZE).get_page(
                request.GET.get("page")
            )
            casework.unread_line_for_display(page.object_list)
            return render(
                request,
                "consultations/includes/line_unread_list.html",
                {"rows": page.object_list, "show_owner": False},
            )
        shown, count, link, _more = casework.summary(
            "unread_line", conversations, link_name=casework.all_url_name(viewer)
        )
        casework.unread_line_for_display(shown)
        worklist = {
            "unread_line": shown,
            "counts": {"unread_line": count},
            "links": {"unread_line": link},
        }
        return render(
            request,
            "consultations/includes/line_unread_rows.html",
            {"worklist": worklist, "show_owner": False},
        )

    # The worklist is the user's own: her id is part of the tag.
    return _live_answer(request, live.etag("w", state, user_id), fragment)
