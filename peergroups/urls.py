from django.urls import path

from . import views

app_name = "peergroups"

urlpatterns = [
    path("", views.GroupListView.as_view(), name="group_list"),
    path("new/", views.GroupCreateView.as_view(), name="group_create"),
    path("<int:pk>/edit/", views.GroupUpdateView.as_view(), name="group_update"),
    path("sessions/", views.SessionListView.as_view(), name="session_list"),
    path("sessions/new/", views.SessionCreateView.as_view(), name="session_create"),
    path(
        "sessions/<int:pk>/", views.SessionDetailView.as_view(), name="session_detail"
    ),
    path(
        "sessions/<int:pk>/edit/",
        views.SessionUpdateView.as_view(),
        name="session_update",
    ),
    path(
        "sessions/<int:pk>/delete/",
        views.SessionDeleteView.as_view(),
        name="session_delete",
    ),
    path("series/new/", views.SeriesCreateView.as_view(), name="series_create"),
    path("series/<int:pk>/", views.SeriesDetailView.as_view(), name="series_detail"),
]
