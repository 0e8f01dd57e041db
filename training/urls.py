from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.EventListView.as_view(), name="event_list"),
    path("new/", views.EventCreateView.as_view(), name="event_create"),
    path("<int:pk>/", views.EventDetailView.as_view(), name="event_detail"),
    path("<int:pk>/edit/", views.EventUpdateView.as_view(), name="event_update"),
    path("<int:pk>/delete/", views.EventDeleteView.as_view(), name="event_delete"),
    path("<int:pk>/survey/", views.SurveyEntryView.as_view(), name="survey"),
    path(
        "<int:pk>/speakers/new/",
        views.SpeakerCreateView.as_view(),
        name="speaker_create",
    ),
    path(
        "speakers/<int:pk>/delete/",
        views.SpeakerDeleteView.as_view(),
        name="speaker_delete",
    ),
    path(
        "responses/<int:pk>/delete/",
        views.SurveyResponseDeleteView.as_view(),
        name="response_delete",
    ),
]
