from django.urls import path

from . import views

app_name = "shelter"

urlpatterns = [
    path("calendar/", views.StayCalendarView.as_view(), name="calendar"),
    path("stays/", views.StayListView.as_view(), name="stay_list"),
    path("stays/new/", views.stay_create, name="stay_create"),
    path("stays/<int:pk>/", views.StayDetailView.as_view(), name="stay_detail"),
    path("stays/<int:pk>/edit/", views.stay_update, name="stay_update"),
    path(
        "stays/<int:pk>/protection/",
        views.stay_protection,
        name="stay_protection",
    ),
    path("stays/<int:pk>/<slug:action>/", views.stay_action, name="stay_action"),
    path("clients/lookup/", views.client_lookup, name="client_lookup"),
    path("clients/<int:pk>/", views.ClientStaysView.as_view(), name="client_stays"),
    path("unmet/", views.UnmetRequestListView.as_view(), name="unmet_list"),
    path("unmet/new/", views.unmet_request_create, name="unmet_create"),
    path("unmet/<int:pk>/delete/", views.unmet_request_delete, name="unmet_delete"),
    path("salon/", views.SalonVisitListView.as_view(), name="salon_list"),
    path("salon/new/", views.salon_visit_create, name="salon_create"),
    path("salon/<int:pk>/", views.salon_visit_update, name="salon_update"),
    path("opening/", views.OpeningDaysView.as_view(), name="opening_days"),
    path(
        "opening/<slug:service>/",
        views.OpeningCalendarView.as_view(),
        name="opening_calendar",
    ),
]
