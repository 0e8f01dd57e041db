"""Pages of the support coordination meetings: counsellors and admins.

The header of a meeting (level, date, members, attendance) is shown to them
all; a case's content only to those ``selectors.case_openable_by`` allows
(403 to the others), and each opening writes an audit entry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View

import jpdates
from accounts.audit import Action, audit, audit_many
from accounts.forms import add_service_errors

from ..casework import local_today
from ..views import CounsellorMixin
from . import selectors, services
from .forms import CaseEditForm, CaseForm, MeetingForm, MemberForm, PledgeForm, RoleForm
from .models import CoordinationMeeting, MeetingCase, MeetingMember


def _meeting(pk) -> CoordinationMeeting:
    return get_object_or_404(
        CoordinationMeeting.objects.select_related("created_by"), pk=pk
    )


def _case(pk) -> MeetingCase:
    return get_object_or_404(
        MeetingCase.objects.select_related(
            "meeting", "client", "client__assigned_counsellor"
        ),
        pk=pk,
    )


def _openable(request, case: MeetingCase) -> None:
    if not selectors.case_openable_by(request.user, case):
        raise PermissionDenied


class MeetingListView(CounsellorMixin, View):
    template_name = "consultations/meetings/meeting_list.html"

    def get(self, request):
        level = request.GET.get("level", "")
        if level not in CoordinationMeeting.Level.values:
            level = ""
        return render(
            request,
            self.template_name,
            {
                "meetings": selectors.meeting_list(level=level),
                "levels": CoordinationMeeting.Level.choices,
                "level": level,
            },
        )


class MeetingFormView(CounsellorMixin, View):
    """A new meeting (no pk), or its header edited."""

    template_name = "consultations/meetings/meeting_form.html"

    def get(self, request, pk=None):
        meeting = _meeting(pk) if pk else None
        initial = {} if meeting else {"held_on": local_today()}
        form = MeetingForm(instance=meeting, initial=initial)
        return self.render(request, form, meeting)

    def post(self, request, pk=None):
        meeting = _meeting(pk) if pk else None
        form = MeetingForm(request.POST, instance=meeting)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in services.MEETING_FIELDS}
            try:
                if meeting is None:
                    meeting = services.meeting_create(by=request.user, **data)
                else:
                    meeting = services.meeting_update(
                        by=request.user, meeting=meeting, **data
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The meeting was saved."))
                return redirect(meeting)
        return self.render(request, form, meeting)

    def render(self, request, form, meeting):
        return render(request, self.template_name, {"form": form, "meeting": meeting})


class MeetingDetailView(CounsellorMixin, View):
    """The header for every counsellor; links to the cases she may open."""

    template_name = "consultations/meetings/meeting_detail.html"

    def get(self, request, pk):
        meeting = _meeting(pk)
        cases, hidden = selectors.openable_cases(request.user, meeting)
        audit(user=request.user, action=Action.VIEW, obj=meeting)
        return render(
            request,
            self.template_name,
            {
                "meeting": meeting,
                "members": selectors.members_of(meeting),
                "cases": cases,
                "hidden_cases": hidden,
                "pledge_form": PledgeForm(initial={"pledged_on": local_today()}),
            },
        )


class MemberAddView(CounsellorMixin, View):
    template_name = "consultations/meetings/member_form.html"

    def get(self, request, pk):
        meeting = _meeting(pk)
        return self.render(request, meeting, MemberForm())

    def post(self, request, pk):
        meeting = _meeting(pk)
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                services.member_add(
                    by=request.user, meeting=meeting, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The member was added."))
                return redirect(meeting.get_absolute_url() + "#members")
        return self.render(request, meeting, form)

    def render(self, request, meeting, form):
        return render(request, self.template_name, {"meeting": meeting, "form": form})


class MemberPledgeView(CounsellorMixin, View):
    """Record a member's confidentiality pledge (POST)."""

    def post(self, request, pk):
        member = get_object_or_404(MeetingMember, pk=pk)
        form = PledgeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the date of the pledge."))
        else:
            try:
                services.member_record_pledge(
                    by=request.user, member=member, **form.cleaned_data
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The pledge was recorded."))
        return redirect(
            CoordinationMeeting.objects.get(pk=member.meeting_id).get_absolute_url()
            + "#members"
        )


class MemberAttendanceView(CounsellorMixin, View):
    """Mark a member present or absent (POST)."""

    def post(self, request, pk):
        member = get_object_or_404(MeetingMember, pk=pk)
        services.member_set_attendance(
            by=request.user, member=member, attended=request.POST.get("attended") == "1"
        )
        return redirect(
            CoordinationMeeting.objects.get(pk=member.meeting_id).get_absolute_url()
            + "#members"
        )


class CaseAddView(CounsellorMixin, View):
    template_name = "consultations/meetings/case_form.html"

    def get(self, request, pk):
        meeting = _meeting(pk)
        initial = {}
        code = request.GET.get("client", "")
        if code:
            initial["client"] = code[:20]
        return self.render(request, meeting, CaseForm(initial=initial))

    def post(self, request, pk):
        meeting = _meeting(pk)
        form = CaseForm(request.POST)
        if form.is_valid():
            try:
                case = services.case_add(
                    by=request.user, meeting=meeting, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied:
                form.add_error(
                    None,
                    _(
                        "Only the meeting's members with a recorded confidentiality "
                        "pledge, the client's counsellor and admins record her case."
                    ),
                )
            else:
                messages.success(request, _("The case was recorded."))
                return redirect(case)
        return self.render(request, meeting, form)

    def render(self, request, meeting, form):
        return render(request, self.template_name, {"meeting": meeting, "form": form})


class CaseDetailView(CounsellorMixin, View):
    """A case's content: 403 unless the user may open it; audited."""

    template_name = "consultations/meetings/case_detail.html"

    def get(self, request, pk):
        case = _case(pk)
        _openable(request, case)
        audit(user=request.user, action=Action.VIEW, obj=case)
        return self.render(request, case, RoleForm(meeting=case.meeting))

    def render(self, request, case, role_form):
        return render(
            request,
            self.template_name,
            {
                "case": case,
                "meeting": case.meeting,
                "client": case.client,
                "roles": case.roles.select_related(
                    "member", "member__user", "member__agency", "follow_up"
                ).order_by("due_on", "id"),
                "role_form": role_form,
            },
        )


class CaseUpdateView(CounsellorMixin, View):
    template_name = "consultations/meetings/case_form.html"

    def get(self, request, pk):
        case = _case(pk)
        _openable(request, case)
        audit(user=request.user, action=Action.VIEW, obj=case, detail="edit")
        form = CaseEditForm(
            initial={"situation": case.situation, "decisions": case.decisions}
        )
        return self.render(request, case, form)

    def post(self, request, pk):
        case = _case(pk)
        _openable(request, case)
        form = CaseEditForm(request.POST)
        if form.is_valid():
            try:
                services.case_update(by=request.user, case=case, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The case was saved."))
                return redirect(case)
        return self.render(request, case, form)

    def render(self, request, case, form):
        return render(
            request,
            self.template_name,
            {"meeting": case.meeting, "case": case, "form": form},
        )


class RoleAddView(CounsellorMixin, View):
    """One line of the split of roles (POST, from the case's page)."""

    def post(self, request, pk):
        case = _case(pk)
        _openable(request, case)
        form = RoleForm(request.POST, meeting=case.meeting)
        if form.is_valid():
            try:
                role = services.role_add(
                    by=request.user, case=case, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if role.follow_up_id:
                    messages.success(
                        request,
                        _("The role was recorded; it is a next step of its owner."),
                    )
                else:
                    messages.success(request, _("The role was recorded."))
                return redirect(case.get_absolute_url() + "#roles")
        audit(user=request.user, action=Action.VIEW, obj=case)
        return CaseDetailView().render(request, case, form)


def minutes_pdf(meeting: CoordinationMeeting, cases: list[MeetingCase]) -> bytes:
    """The minutes (議事録): the header with dates in the Japanese calendar,
    the members with their pledges and attendance, and the given cases (those
    the reader may open) with their decisions and split of roles."""
    from reports.pdf import font_context, html_to_pdf

    roles = {}
    for case in cases:
        roles[case.pk] = [
            {
                "who": role.member.display_name,
                "organisation": role.member.organisation_name,
                "task": role.task,
                "due": jpdates.to_wareki(role.due_on),
            }
            for role in case.roles.all()
        ]
    members = [
        {
            "member": m,
            "pledged": jpdates.to_wareki(m.pledged_on) if m.pledged_on else "",
        }
        for m in selectors.members_of(meeting)
    ]
    context = {
        "meeting": meeting,
        "organisation": meeting.organisation,
        "held_wareki": jpdates.to_wareki(meeting.held_on),
        "review_wareki": (
            jpdates.to_wareki(meeting.next_review_on) if meeting.next_review_on else ""
        ),
        "members": members,
        "cases": [(case, roles[case.pk]) for case in cases],
        **font_context(),
    }
    html = render_to_string("consultations/meetings/minutes_print.html", context)
    return html_to_pdf(html)


class MinutesView(CounsellorMixin, View):
    """The minutes as a PDF, with the cases the user may open (each audited)."""

    def get(self, request, pk):
        meeting = get_object_or_404(
            CoordinationMeeting.objects.select_related("organisation"), pk=pk
        )
        cases, _hidden = selectors.openable_cases(request.user, meeting)
        prefetch_related_objects(cases, "roles__member__user", "roles__member__agency")
        content = minutes_pdf(meeting, cases)
        audit(user=request.user, action=Action.EXPORT, obj=meeting, detail="minutes")
        audit_many(
            user=request.user,
            action=Action.EXPORT,
            object_type="consultations.meetingcase",
            client_codes=[case.client.code for case in cases],
            detail=f"minutes of meeting#{meeting.pk}",
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="meeting-minutes-{meeting.pk}.pdf"'
        )
        return response
