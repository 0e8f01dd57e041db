"""Included in the consultations namespace (consultations/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meeting_list"),
    path("meetings/new/", views.MeetingFormView.as_view(), name="meeting_create"),
    path(
        "meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"
    ),
    path(
        "meetings/<int:pk>/edit/",
        views.MeetingFormView.as_view(),
        name="meeting_update",
    ),
    path(
        "meetings/<int:pk>/members/new/",
        views.MemberAddView.as_view(),
        name="meeting_member_add",
    ),
    path(
        "meeting-members/<int:pk>/pledge/",
        views.MemberPledgeView.as_view(),
        name="meeting_member_pledge",
    ),
    path(
        "meeting-members/<int:pk>/attendance/",
        views.MemberAttendanceView.as_view(),
        name="meeting_member_attendance",
    ),
    path(
        "meetings/<int:pk>/cases/new/",
        views.CaseAddView.as_view(),
        name="meeting_case_add",
    ),
    path(
        "meeting-cases/<int:pk>/", views.CaseDetailView.as_view(), name="meeting_case"
    ),
    path(
        "meeting-cases/<int:pk>/edit/",
        views.CaseUpdateView.as_view(),
        name="meeting_case_update",
    ),
    path(
        "meeting-cases/<int:pk>/roles/new/",
        views.RoleAddView.as_view(),
        name="meeting_role_add",
    ),
    path(
        "meetings/<int:pk>/minutes.pdf",
        views.MinutesView.as_view(),
        name="meeting_minutes",
    ),
]
