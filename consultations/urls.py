from django.urls import include, path, re_path

from . import views

app_name = "consultations"

urlpatterns = [
    path("clients/", views.ClientListView.as_view(), name="client_list"),
    path("clients/new/", views.ClientFormView.as_view(), name="client_create"),
    path("clients/lookup/", views.ClientLookupView.as_view(), name="client_lookup"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client_detail"),
    path(
        "clients/<int:pk>/edit/", views.ClientFormView.as_view(), name="client_update"
    ),
    path(
        "clients/<int:pk>/close/", views.ClientCloseView.as_view(), name="client_close"
    ),
    path(
        "clients/<int:pk>/reopen/",
        views.ClientReopenView.as_view(),
        name="client_reopen",
    ),
    path(
        "clients/<int:pk>/urgency/",
        views.ClientUrgencyView.as_view(),
        name="client_urgency",
    ),
    path(
        "clients/<int:pk>/reassign/",
        views.ClientReassignView.as_view(),
        name="client_reassign",
    ),
    path(
        "clients/<int:pk>/follow-ups/new/",
        views.FollowUpCreateView.as_view(),
        name="follow_up_create",
    ),
    path(
        "follow-ups/<int:pk>/done/",
        views.FollowUpDoneView.as_view(),
        name="follow_up_done",
    ),
    path(
        "clients/<int:pk>/anonymise/",
        views.ClientAnonymiseView.as_view(),
        name="client_anonymise",
    ),
    path("team/", views.TeamWorklistView.as_view(), name="team_worklist"),
    path(
        "team/<slug:name>/",
        views.TeamWorklistAllView.as_view(),
        name="team_worklist_all",
    ),
    path("worklist/<slug:name>/", views.WorklistAllView.as_view(), name="worklist_all"),
    path("", include("consultations.plans.urls")),
    path(
        "clients/<int:client_pk>/support/new/",
        views.SupportActionFormView.as_view(),
        name="support_action_create",
    ),
    path(
        "support/<int:pk>/edit/",
        views.SupportActionFormView.as_view(),
        name="support_action_update",
    ),
    path(
        "consultations/", views.ConsultationListView.as_view(), name="consultation_list"
    ),
    path(
        "consultations/new/",
        views.ConsultationFormView.as_view(),
        name="consultation_create",
    ),
    re_path(
        r"^consultations/export\.(?P<fmt>csv|xlsx)$",
        views.ConsultationExportView.as_view(),
        name="consultation_export",
    ),
    path(
        "consultations/<int:pk>/",
        views.ConsultationFormView.as_view(),
        name="consultation_update",
    ),
    path(
        "consultations/<int:pk>/delete/",
        views.ConsultationDeleteView.as_view(),
        name="consultation_delete",
    ),
    path("", include("consultations.consent.urls")),  # consent and referrals
    path("", include("consultations.meetings.urls")),  # coordination meetings
]
