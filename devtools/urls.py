"""The LINE simulator's pages (mounted at /dev/line-simulator/)."""

from django.urls import path

from . import views

app_name = "line_simulator"

urlpatterns = [
    path("", views.index, name="index"),
    path("people/", views.create_person, name="create_person"),
    path("<int:pk>/", views.phone, name="phone"),
    path("<int:pk>/feed/", views.feed, name="feed"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("<int:pk>/unfollow/", views.unfollow, name="unfollow"),
    path("<int:pk>/unsend/", views.unsend, name="unsend"),
    path("<int:pk>/quick-reply/", views.quick_reply, name="quick_reply"),
]
