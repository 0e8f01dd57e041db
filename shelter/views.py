"""Pages for coordinators: the occupancy calendar, bookings, unmet requests,
salon visits and opening calendars. Counsellors may read a stay (from the
client timeline). Views parse input, call one service or selector, render."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from html import escape as html_escape
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import router
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

import jpdates
from accounts import dataversion, scoping
from accounts.audit import Action, audit
from accounts.forms import add_service_errors
from accounts.links import url_by_id
from accounts.opening import opening_date
from accounts.redirects import safe_next
from accounts.roles import Role, RoleRequiredMixin, has_role, role_required
from consultations.picker import last_stay_label, picker_rows

from . import calendar as opening
from . import selectors, services
from .forms import (
    CalendarExceptionForm,
    OpeningWeekForm,
    SalonVisitForm,
    SalonVisitUpdateForm,
    StayFilterForm,
    StayForm,
    StayProtectionForm,
    StayUpdateForm,
    UnmetRequestForm,
    parse_month,
    protection_initial,
)
from .models import (
    CalendarException,
    OpeningCalendar,
    SalonVisit,
    Service,
    Stay,
    UnmetRequest,
    stay_dates_labeller,
)

COORDINATOR = (Role.COORDINATOR,)


class CoordinatorMixin(RoleRequiredMixin):
    roles = COORDINATOR


def _month_param(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _wareki_month(day: dt.date) -> str:
    """令和3年10月"""
    era, number = jpdates.era_year(day)
    return f"{era}{jpdates.year_label(number)}年{day.month}月"


# THE CALENDAR
# ------------------------------------------------------------------------------


class StayCalendarView(CoordinatorMixin, TemplateView):
    """Rooms by days of one month. A free cell links to the booking form for
    that room and day; a stay links to its page."""

    template_name = "shelter/stay_calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        opens_on = opening_date()
        day = _day_param(self.request.GET.get("day"))
        month = day.replace(day=1) if day else None
        month = month or parse_month(self.request.GET.get("month"), opens_on)
        here = self.request.get_full_path()

        def month_of_stays():
            calendar = selectors.stay_calendar(month, today=today)
            return calendar, _render_rows(calendar, here, today), _render_days(calendar)

        # Kept in memory until a stay, room or opening day changes
        # (accounts.dataversion): per month, day, address, language, scope.
        calendar, rows_html, days_html = dataversion.cached(
            (
                "stay_calendar",
                month,
                today,
                here,
                translation.get_language(),
                scoping.current(),
            ),
            month_of_stays,
            using=router.db_for_read(Stay),
        )
        if day is None:
            # the phone's day list: today, or the demo's day, in its month
            day = next(
                (d for d in (today, opens_on) if month <= d <= calendar.last), month
            )
        unmet_date = today if month <= today <= calendar.last else month
        context.update(
            calendar=calendar,
            days_html=days_html,
            rows_html=rows_html,
            today=today,
            wareki=_wareki_month(month),
            previous=_month_param(calendar.previous),
            next=_month_param(calendar.next),
            this_month=_month_param(today),
            here=here,
            unmet_form_html=unmet_form_html(self.request.user, unmet_date),
            legend=Stay.Status.choices,
            day=day,
            day_rooms=_day_rooms(calendar, day, here),
            previous_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
        )
        return context


def _day_param(text: str | None) -> dt.date | None:
    """'2021-10-05' -> that day; anything else -> None."""
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _day_rooms(calendar, day: dt.date, here: str) -> list:
    """One day of the month's calendar, room by room (the calendar on a
    phone): (facility, the HTML of its rooms' items), each room free or
    taken by a stay; made here like the month's rows, each value escaped."""
    e = html_escape
    book = reverse("shelter:stay_create")
    back = quote(here, safe="/")
    book_label = _("Book %(room)s from %(day)s")
    shown = jpdates.on_screen(day)
    stay_url = url_by_id("shelter:stay_detail")
    dates_label = stay_dates_labeller()
    statuses = {value: str(label) for value, label in Stay.Status.choices}
    found = []
    for facility, rows in calendar.facilities:
        html = []
        for row in rows:
            room = row.room
            # A row's cells follow one another from the month's first day:
            # the day's cell is the last one starting on it or before.
            cell = None
            for each in row.cells:
                if each.start > day:
                    break
                cell = each
            if cell is None:
                continue
            stay = cell.stay
            if stay is None:
                classes = "free"
                label = book_label % {"room": room.name, "day": shown}
                href = f"{book}?room={room.pk}&start={day.isoformat()}&next={back}"
                link = f'<a href="{e(href)}">{e(label)}</a>\n      '
            else:
                classes = f"occupied {e(stay.status)} {e(stay.kind)}"
                dates = dates_label(stay.kind, stay.start_date, stay.end_date)
                link = (
                    f'<a href="{e(stay_url(stay.pk))}"><strong>'
                    f"{e(stay.client.code)} {e(stay.client.display_name)}"
                    f'</strong><span class="stay-dates">{e(dates)}'
                    f" · {e(statuses[stay.status])}</span></a>"
                )
            html.append(
                f'\n    <li class="{classes}">\n'
                f'      <span class="room">{e(room.name)}</span>\n'
                f"      {link}\n    </li>\n    "
            )
        found.append((facility, mark_safe("".join(html))))  # noqa: S308
    return found


def _render_days(calendar) -> str:
    """The header cells of the month's days (made here like the rows: some
    ten values a day), each value escaped as the template would."""
    html = []
    for day in calendar.days:
        classes = "day"
        if day.weekend:
            classes += " weekend"
        if day.sunday:
            classes += " sunday"
        if day.holiday:
            classes += " holiday"
        if day.is_today:
            classes += " today"
        if not day.shelter_open:
            classes += " closed"
        title = f' title="{html_escape(day.holiday)}"' if day.holiday else ""
        html.append(
            f'<th scope="col" class="{classes}"{title}>'
            f'<span class="dom">{day.date.day}</span>'
            f'<span class="dow">{html_escape(dateformat.format(day.date, "D"))}'
            "</span></th>"
        )
    return mark_safe("".join(html))  # noqa: S308 (each value escaped)


def _render_rows(calendar, here: str, today: dt.date) -> str:
    """The HTML of the month's table body, made here rather than in the
    template (a month of 40 rooms is 1,200 cells): a facility's heading, then
    a row per room, where a free day links to the booking form for that
    room and day and a stay to its page. Each value is escaped with
    html.escape, as Django's escape() does, without its per-call cost; what
    is the same in many cells is made once: a free day's link and title
    once a row (the day's ISO date needs no escaping), a date's text once a
    month, a stay's labels once a page."""
    e = html_escape
    book = reverse("shelter:stay_create")
    next_html = e(f"&next={quote(here, safe='/')}")
    book_label_html = e(_("Book %(room)s from %(day)s"))
    stay_url = url_by_id("shelter:stay_detail")
    statuses = {value: e(str(label)) for value, label in Stay.Status.choices}
    screen = functools.cache(jpdates.on_screen)  # a month has few distinct dates
    dates_label = stay_dates_labeller(screen)
    # A free day's ISO date, text (2022年3月31日, not the ISO date) and class.
    free_days = {
        day.date: (
            day.date.isoformat(),
            screen(day.date),
            ' class="free future"' if day.date >= today else ' class="free"',
        )
        for day in calendar.days
    }

    @functools.cache  # a few statuses and kinds; a few numbers of children
    def stay_classes(status: str, kind: str) -> str:
        return f"stay {e(status)} {e(kind)}"

    @functools.cache
    def children_label(n: int) -> str:
        return e(ngettext("%(n)s child", "%(n)s children", n) % {"n": n})

    columns = len(calendar.days) + 2
    html = []
    for facility, rows in calendar.facilities:
        html.append(
            f'\n    <tr class="facility"><th scope="rowgroup" colspan="{columns}">'
            f"{e(facility.name)}</th></tr>\n    "
        )
        for row in rows:
            room = row.room
            href_html = e(f"{book}?room={room.pk}&start=")
            room_html = e(room.name)
            html.append(
                f'\n    <tr>\n      <th scope="row" class="room">{room_html}</th>'
                "\n      "
            )
            for cell in row.cells:
                stay = cell.stay
                if stay is None:
                    iso, shown, classes = free_days[cell.start]
                    label = book_label_html % {"room": room_html, "day": shown}
                    html.append(
                        f'<td{classes}><a href="{href_html}{iso}{next_html}"'
                        f' title="{label}"><span class="sr-only">{label}</span>'
                        "</a></td>"
                    )
                    continue
                # The title joins texts escaped one by one: the same as the
                # whole text escaped (" · " has nothing to escape).
                code = e(stay.client.code)
                name = e(stay.client.display_name)
                dates = e(dates_label(stay.kind, stay.start_date, stay.end_date))
                title = f"{code} {name} · {dates} · {statuses[stay.status]}"
                if stay.children:
                    title = f"{title} · {children_label(stay.children)}"
                html.append(
                    f'<td class="{stay_classes(stay.status, stay.kind)}'
                    f"{' from-before' if cell.continues_before else ''}"
                    f'{" to-after" if cell.continues_after else ""}"'
                    f' colspan="{cell.days}"><a href="{e(stay_url(stay.pk))}"'
                    f' title="{title}"><span class="who">{name}</span>'
                    f' <span class="code">{code}</span></a></td>'
                )
            html.append(
                f'\n      <td class="num nights">{localize(row.nights)}</td>'
                "\n    </tr>\n    "
            )
        html.append("\n  ")
    return mark_safe("".join(html))  # noqa: S308 (each value escaped)


# STAYS
# ------------------------------------------------------------------------------


class StayListView(CoordinatorMixin, TemplateView):
    template_name = "shelter/stay_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = StayFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        stays = selectors.stay_list(
            facility=filters.get("facility"),
            status=filters.get("status", ""),
            kind=filters.get("kind", ""),
            start=filters.get("start"),
            end=filters.get("end"),
            client=filters.get("client", ""),
            entrusted=filters.get("entrusted", False),
        )
        context["form"] = form
        paginator = Paginator(
            stays.values(*selectors.STAY_ROW_FIELDS), self.paginate_by
        )
        # Counted without the joins that only the rows' values need (every
        # stay has its room and its client): one table scanned, not four.
        # Count and rows kept in memory until a stay, room, facility or
        # client changes (accounts.dataversion).
        paginator.count = dataversion.cached_count(stays)
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = selectors.stay_rows(
            dataversion.cached_list(page.object_list)
        )
        context["page"] = page
        return context


def _booking_initial(request) -> dict:
    """Prefill from the calendar (room, start) or from a client search."""
    initial = {}
    params = request.GET
    if params.get("room", "").isdigit():
        initial["room"] = int(params["room"])
    for name in ("start", "end"):
        with contextlib.suppress(ValueError):
            initial[f"{name}_date"] = dt.date.fromisoformat(params.get(name, ""))
    if params.get("kind") in Stay.Kind.values:
        initial["kind"] = params["kind"]
    overnight = initial.get("kind", Stay.Kind.OVERNIGHT) == Stay.Kind.OVERNIGHT
    if overnight and "start_date" in initial and "end_date" not in initial:
        initial["end_date"] = initial["start_date"] + dt.timedelta(days=1)
    if params.get("client"):
        initial["client"] = params["client"][:20]
    return initial


@role_required(*COORDINATOR)
def stay_create(request):
    """Book a room. Without a client code yet, the page offers a search by code
    or name (showing code and display name only)."""
    if request.method == "POST":
        form = StayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stay = services.stay_book(
                    by=request.user,
                    room=data["room"],
                    client=data["client"],
                    kind=data["kind"],
                    start=data["start_date"],
                    end=data["end_date"],
                    children=data["children"],
                    programme=data["programme"],
                    protection=form.protection_for_stay(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(room)s is booked for %(client)s: %(dates)s.")
                    % {
                        "room": stay.room,
                        "client": stay.client.code,
                        "dates": stay.dates_label,
                    },
                )
                default = (
                    reverse("shelter:calendar")
                    + "?month="
                    + _month_param(stay.start_date)
                )
                return redirect(safe_next(request, default))
    else:
        form = StayForm(initial=_booking_initial(request))
    query = request.GET.get("q", "")
    found = selectors.client_search_for_booking(query) if query else None
    return render(
        request,
        "shelter/stay_form.html",
        {
            "form": form,
            "query": query,
            "found": found,
            "next": safe_next(request, ""),
            "search_params": {
                k: v for k, v in request.GET.items() if k not in ("q", "client")
            },
        },
    )


@role_required(*COORDINATOR)
def client_lookup(request):
    """JSON for the coordinator's client picker (consultations.picker): up to
    10 matches with what a coordinator may see (code, display name, kana, age
    band, last stay), never contact details. Like the booking form's search
    by name, a search is not audited (no record is opened; the stay booked for
    the picked client is)."""
    matches = selectors.client_lookup_for_booking(request.GET.get("q", "")[:100])
    return JsonResponse(
        {
            "results": picker_rows(
                matches, date_key="last_stay", date_label=last_stay_label()
            )
        }
    )


class StayDetailView(RoleRequiredMixin, TemplateView):
    """A stay. Counsellors read it (from the client timeline); coordinators
    also act on it."""

    roles = (Role.COORDINATOR, Role.COUNSELLOR)
    template_name = "shelter/stay_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            stay = selectors.stay_detail(self.kwargs["pk"])
        except Stay.DoesNotExist:
            raise Http404 from None
        audit(user=self.request.user, action=Action.VIEW, obj=stay)
        context.update(
            stay=stay,
            can_act=has_role(self.request.user, Role.COORDINATOR),
            today=timezone.localdate(),
        )
        return context


@role_required(*COORDINATOR)
def stay_update(request, pk):
    stay = get_object_or_404(Stay.objects.select_related("room", "client"), pk=pk)
    if not stay.is_open:
        messages.error(request, _("A completed or cancelled stay cannot be changed."))
        return redirect(stay)
    if request.method == "POST":
        form = StayUpdateForm(request.POST)
        form.fields["programme"].for_record(stay)
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                name: data[name]
                for name in (
                    "room", "kind", "start_date", "end_date", "children", "programme"
                )
            }  # fmt: skip
            protection = form.protection_for_stay()
            changes["entrusted"] = protection is not None
            changes.update(protection or {})
            try:
                stay = services.stay_update(
                    stay=stay,
                    by=request.user,
                    expected_version=data["version"],
                    **changes,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The stay was saved: %(dates)s.") % {"dates": stay.dates_label},
                )
                return redirect(stay)
    else:
        audit(user=request.user, action=Action.VIEW, obj=stay)
        form = StayUpdateForm(
            initial={
                "room": stay.room_id,
                "kind": stay.kind,
                "start_date": stay.start_date,
                "end_date": stay.end_date if stay.kind == Stay.Kind.OVERNIGHT else None,
                "children": stay.children,
                "programme": stay.programme_id,
                "version": stay.version,
                **protection_initial(stay),
            }
        )
        form.fields["programme"].for_record(stay)
    return render(request, "shelter/stay_form.html", {"form": form, "stay": stay})


@role_required(*COORDINATOR)
def stay_protection(request, pk):
    """The temporary protection of a stay that is not cancelled, on its own:
    for a completed stay, the discharge and where she went."""
    stay = get_object_or_404(
        Stay.objects.select_related("room", "client", "protection_agency"), pk=pk
    )
    if stay.status == Stay.Status.CANCELLED or stay.kind != Stay.Kind.OVERNIGHT:
        messages.error(
            request,
            _(
                "Only an overnight stay that is not cancelled can be a temporary "
                "protection."
            ),
        )
        return redirect(stay)
    if request.method == "POST":
        form = StayProtectionForm(request.POST)
        if form.is_valid():
            try:
                stay = services.stay_protection_set(
                    stay=stay,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    protection=form.protection(stay.start_date, stay.children),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The temporary protection was saved."))
                return redirect(stay)
    else:
        audit(user=request.user, action=Action.VIEW, obj=stay)
        form = StayProtectionForm(
            initial={"version": stay.version, **protection_initial(stay)}
        )
    return render(
        request, "shelter/stay_protection_form.html", {"form": form, "stay": stay}
    )


# Lazy: a module-level gettext would freeze the messages in the language of
# the request that first imported this module.
STAY_ACTIONS = {
    "check-in": (services.stay_check_in, gettext_lazy("Checked in.")),
    "check-out": (services.stay_check_out, gettext_lazy("Checked out.")),
    "cancel": (services.stay_cancel, gettext_lazy("The booking was cancelled.")),
}


@role_required(*COORDINATOR)
@require_POST
def stay_action(request, pk, action):
    if action not in STAY_ACTIONS:
        raise Http404
    stay = get_object_or_404(Stay, pk=pk)
    service, done = STAY_ACTIONS[action]
    try:
        service(stay=stay, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, str(done))
    return redirect(safe_next(request, stay.get_absolute_url()))


# A CLIENT, AS COORDINATORS SEE THEM
# ------------------------------------------------------------------------------


class ClientStaysView(CoordinatorMixin, TemplateView):
    """A client's stays and unmet requests, with quick entry: what a
    coordinator needs, and only the client's code and display name."""

    template_name = "shelter/client_stays.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client = get_object_or_404(
            selectors.clients_for_booking(), pk=self.kwargs["pk"]
        )
        audit(
            user=self.request.user,
            action=Action.VIEW,
            object_type="shelter.client_stays",
            client_code=client.code,
        )
        context.update(
            person=client,
            stays=selectors.stays_of_client(client),
            requests=selectors.unmet_requests(client=client),
            unmet_form=UnmetRequestForm(initial={"client": client.code}),
            here=self.request.get_full_path(),
        )
        return context


# UNMET REQUESTS
# ------------------------------------------------------------------------------


class UnmetRequestListView(CoordinatorMixin, TemplateView):
    template_name = "shelter/unmetrequest_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiscal_year = _fiscal_year_param(self.request)
        start, end = jpdates.fiscal_year_range(fiscal_year)
        by_reason = selectors.unmet_requests_by_reason(start, end)
        requests = selectors.unmet_requests(start=start, end=end)
        paginator = Paginator(requests.values(*selectors.UNMET_ROW_FIELDS), 50)
        # Every request has one of the reasons (a check constraint says so):
        # the counts by reason add up to the year's count, one query less.
        paginator.count = sum(by_reason.values())
        page = paginator.get_page(self.request.GET.get("page"))
        here = self.request.get_full_path()
        page.object_list = _unmet_rows_html(
            list(page.object_list), here, get_token(self.request)
        )
        context.update(
            fiscal_year=fiscal_year,
            fiscal_year_label=jpdates.fiscal_year_label(fiscal_year),
            previous=fiscal_year - 1,
            next=fiscal_year + 1,
            by_reason=[
                (label, count)
                for (value, label), count in zip(
                    UnmetRequest.Reason.choices, by_reason.values(), strict=True
                )
            ],
            page=page,
            form_html=unmet_form_html(self.request.user, timezone.localdate()),
            here=here,
        )
        return context


def _unmet_rows_html(values: list[dict], here: str, token: str) -> list[str]:
    """The rows of one page of unmet requests (``values`` of
    UNMET_ROW_FIELDS) as the template printed them, each one string with
    every value escaped: a template render per row, its links, labels and
    delete form cost most of the page. ``token`` is the page's CSRF token
    (the one the template's {% csrf_token %} printed in every row)."""
    from accounts.templatetags.dates import jdate

    e = conditional_escape
    client_url = url_by_id("shelter:client_stays")
    delete_url = url_by_id("shelter:unmet_delete")
    reasons = {value: str(label) for value, label in UnmetRequest.Reason.choices}
    kinds = {value: str(label) for value, label in Stay.Kind.choices}
    # The delete form's tail is the same in every row. (Its texts outside
    # the f-string: makemessages does not read calls inside one.)
    confirm, delete = _("Delete this unmet request?"), _("Delete")
    form_tail = (
        f'" data-confirm="{e(confirm)}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(token)}">'
        f'<input type="hidden" name="next" value="{e(here)}">'
        f'<button type="submit" class="link">{e(delete)}</button></form></td></tr>'
    )
    rows = []
    for v in values:
        if v["client_id"] is None:
            client = "–"
        else:
            client = (
                f'<a href="{e(client_url(v["client_id"]))}">{e(v["client__code"])}</a>'
                f" {e(v['client__display_name'])}"
            )
        rows.append(
            mark_safe(  # noqa: S308 (each value escaped)
                f"\n        <tr><td>{jdate(v['date'])}</td>"
                f"<td>{e(reasons.get(v['reason'], v['reason']))}</td>"
                f"<td>{e(kinds.get(v['wanted'], v['wanted']))}</td>"
                f"<td>{client}</td><td>{e(v['note'])}</td>\n"
                f'        <td><form method="post" action="{e(delete_url(v["pk"]))}'
                f"{form_tail}\n      "
            )
        )
    return rows


@functools.lru_cache(maxsize=32)
def _unmet_form_html(language: str, day: dt.date) -> str:
    return render_to_string(
        "includes/form.html", {"form": UnmetRequestForm(initial={"date": day})}
    )


def unmet_form_html(user, day: dt.date) -> str:
    """The quick entry form for an unmet request (on the calendar and the
    list), blank but for its date: drawn once per language and date, its
    five widgets' templates costing more than a list's rows. It shows no
    record and nothing of the user; with her choice of organisations (a
    user of several: their names, read now) it is drawn every time."""
    form = UnmetRequestForm(initial={"date": day}, organisation_user=user)
    if "organisation" in form.fields:
        return render_to_string("includes/form.html", {"form": form})
    return _unmet_form_html(translation.get_language(), day)


@role_required(*COORDINATOR)
def unmet_request_create(request):
    """Quick entry (from the calendar, a client's page or the list). An
    invalid entry comes back here with its errors, nothing lost."""
    form = UnmetRequestForm(request.POST or None, organisation_user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.unmet_request_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The unmet request was recorded."))
            return redirect(safe_next(request, reverse("shelter:unmet_list")))
    return render(
        request,
        "shelter/unmetrequest_form.html",
        {"form": form, "next": safe_next(request, "")},
    )


@role_required(*COORDINATOR)
@require_POST
def unmet_request_delete(request, pk):
    unmet = get_object_or_404(UnmetRequest.objects.select_related("client"), pk=pk)
    services.unmet_request_delete(request=unmet, by=request.user)
    messages.success(request, _("The unmet request was deleted."))
    return redirect(safe_next(request, reverse("shelter:unmet_list")))


# SALON VISITS
# ------------------------------------------------------------------------------


class SalonVisitListView(CoordinatorMixin, TemplateView):
    """One month of salon days, with its totals and the entry form."""

    template_name = "shelter/salonvisit_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        month = parse_month(self.request.GET.get("month"), opening_date())
        first, last = selectors.month_bounds(month)

        def month_of_visits():
            visits = list(
                SalonVisit.objects.filter(date__range=(first, last))
                .annotate(named=Count("clients"))
                .order_by("date", "facility__name")
                .values("pk", "date", "facility__name", "visitors", "named")
            )
            totals = SalonVisit.objects.filter(date__range=(first, last)).aggregate(
                visits=Sum("visitors"),
                visit_days=Count("date", filter=Q(visitors__gt=0), distinct=True),
            )
            return visits, totals, opening.open_days(Service.SALON, first, last)

        # Kept in memory until a visit or opening day changes
        # (accounts.dataversion): per month and scope.
        visits, totals, open_days = dataversion.cached(
            ("salon_visits", first, scoping.current()),
            month_of_visits,
            using=router.db_for_read(SalonVisit),
        )
        recorded = {v["date"] for v in visits}
        quick_form = SalonVisitForm(
            initial={"date": today if first <= today <= last else first}
        )
        # The quick entry leaves the programme to the rules; the entry's own
        # page offers the choice.
        del quick_form.fields["programme"]
        context.update(
            visits=visits,
            totals=totals,
            open_days=len(open_days),
            missing=[d for d in open_days if d not in recorded and d <= today],
            month=month,
            previous=_month_param((first - dt.timedelta(days=1)).replace(day=1)),
            next=_month_param(last + dt.timedelta(days=1)),
            form=quick_form,
            here=self.request.get_full_path(),
        )
        return context


@role_required(*COORDINATOR)
def salon_visit_create(request):
    form = SalonVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.salon_visit_record(
                by=request.user,
                facility=data["facility"],
                date=data["date"],
                visitors=data["visitors"],
                clients=data["clients"],
                programme=data.get("programme"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(count)d visitors recorded for %(date)s.")
                % {"count": visit.visitors, "date": jpdates.on_screen(visit.date)},
            )
            default = (
                reverse("shelter:salon_list") + "?month=" + _month_param(visit.date)
            )
            return redirect(safe_next(request, default))
    return render(request, "shelter/salonvisit_form.html", {"form": form})


@role_required(*COORDINATOR)
def salon_visit_update(request, pk):
    visit = get_object_or_404(SalonVisit.objects.select_related("facility"), pk=pk)
    named = list(visit.clients.only("id", "code").order_by("code"))
    initial = {
        "facility": visit.facility_id,
        "date": visit.date,
        "visitors": visit.visitors,
        "clients": " ".join(c.code for c in named),
        "programme": visit.programme_id,
    }
    form = SalonVisitUpdateForm(request.POST or None, initial=initial)
    form.fields["programme"].for_record(visit)
    if request.method == "POST" and form.is_valid():
        if "delete" in request.POST:
            services.salon_visit_delete(visit=visit, by=request.user)
            messages.success(request, _("The entry was deleted."))
        else:
            try:
                services.salon_visit_update(
                    visit=visit,
                    by=request.user,
                    visitors=form.cleaned_data["visitors"],
                    clients=form.cleaned_data["clients"],
                    programme=form.cleaned_data["programme"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                return render(
                    request,
                    "shelter/salonvisit_form.html",
                    {"form": form, "visit": visit},
                )
            messages.success(request, _("The entry was saved."))
        return redirect(
            reverse("shelter:salon_list") + "?month=" + _month_param(visit.date)
        )
    if named and request.method == "GET":
        audit(user=request.user, action=Action.VIEW, obj=visit)
    return render(
        request, "shelter/salonvisit_form.html", {"form": form, "visit": visit}
    )


# OPENING CALENDARS
# ------------------------------------------------------------------------------


def _fiscal_year_param(request) -> int:
    text = request.GET.get("fy", "")
    if text.isdigit() and 1990 <= int(text) <= 2100:
        return int(text)
    return jpdates.fiscal_year(opening_date())


class OpeningDaysView(CoordinatorMixin, TemplateView):
    """A fiscal year's open days per month for every service."""

    template_name = "shelter/openingcalendar_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fiscal_year = _fiscal_year_param(self.request)
        # Kept in memory until an opening day changes (accounts.dataversion).
        table = dataversion.cached(
            ("open_days_by_month", fiscal_year, scoping.current()),
            functools.partial(opening.open_days_by_month, fiscal_year),
            using=router.db_for_read(OpeningCalendar),
        )
        context.update(
            fiscal_year=fiscal_year,
            fiscal_year_label=jpdates.fiscal_year_label(fiscal_year),
            previous=fiscal_year - 1,
            next=fiscal_year + 1,
            months=opening.fiscal_year_months(fiscal_year),
            rows=[
                (value, label, table[value], sum(table[value]))
                for value, label in Service.choices
            ],
        )
        return context


class OpeningCalendarView(CoordinatorMixin, TemplateView):
    """One service: weekly days and hours, and the one-off changes of a fiscal
    year, with the days it is closed and why."""

    template_name = "shelter/openingcalendar_detail.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["service"] not in Service.values:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        service = self.kwargs["service"]
        fiscal_year = _fiscal_year_param(self.request)
        start, end = jpdates.fiscal_year_range(fiscal_year)
        calendar = opening.calendars([service], start=start, end=end).get(service)
        statuses = opening.day_statuses(calendar, start, end)
        context.update(
            service=service,
            service_label=Service(service).label,
            calendar=calendar,
            fiscal_year=fiscal_year,
            fiscal_year_label=jpdates.fiscal_year_label(fiscal_year),
            previous=fiscal_year - 1,
            next=fiscal_year + 1,
            open_count=sum(s.open for s in statuses),
            closed=[s for s in statuses if not s.open and s.why],
            week_form=kwargs.get("week_form")
            or OpeningWeekForm(initial=OpeningWeekForm.initial_for(calendar)),
            exception_form=kwargs.get("exception_form") or CalendarExceptionForm(),
            exceptions=calendar.exceptions.all() if calendar else [],
        )
        return context

    def post(self, request, *args, **kwargs):
        service = kwargs["service"]
        here = request.get_full_path()
        if "weekly" in request.POST:
            form = OpeningWeekForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.opening_calendar_set(
                        by=request.user,
                        service=service,
                        weekly=data["weekly"],
                        closed_on_public_holidays=data["closed_on_public_holidays"],
                        closed_over_year_end=data["closed_over_year_end"],
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("The weekly hours were saved."))
                    return redirect(here)
            return self.render_to_response(self.get_context_data(week_form=form))
        if "remove" in request.POST:
            remove = request.POST.get("remove", "")
            exception = get_object_or_404(
                CalendarException,
                pk=int(remove) if remove.isdigit() else 0,
                calendar__service=service,
            )
            services.calendar_exception_remove(exception=exception, by=request.user)
            messages.success(request, _("The change was removed."))
            return redirect(here)
        form = CalendarExceptionForm(request.POST)
        if form.is_valid():
            try:
                services.calendar_exception_add(
                    by=request.user, service=service, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The change was added."))
                return redirect(here)
        return self.render_to_response(self.get_context_data(exception_form=form))
