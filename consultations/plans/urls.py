"""Included from consultations/urls.py: the names are in its namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "clients/<int:pk>/assessments/new/",
        views.AssessmentCreateView.as_view(),
        name="assessment_create",
    ),
    path("clients/<int:pk>/plan/", views.PlanDetailView.as_view(), name="plan_detail"),
    path(
        "clients/<int:pk>/plan/new/",
        views.PlanCreateView.as_view(),
        name="plan_create",
    ),
    path("plans/<int:pk>/edit/", views.PlanUpdateView.as_view(), name="plan_update"),
    path(
        "plans/<int:pk>/tasks/new/", views.TaskCreateView.as_view(), name="task_create"
    ),
    path(
        "plans/<int:pk>/approve/", views.PlanApproveView.as_view(), name="plan_approve"
    ),
    path(
        "plan-tasks/<int:pk>/status/",
        views.TaskStatusView.as_view(),
        name="task_status",
    ),
    path(
        "closures/<int:pk>/approve/",
        views.ClosureApproveView.as_view(),
        name="closure_approve",
    ),
    path(
        "closures/<int:pk>/decline/",
        views.ClosureDeclineView.as_view(),
        name="closure_decline",
    ),
]
