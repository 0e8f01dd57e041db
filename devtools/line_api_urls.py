"""The stand-in Messaging API, on LINE's paths (mounted at /dev/line-api/)."""

from django.urls import path

from . import line_api

app_name = "line_api"

urlpatterns = [
    path("v2/bot/message/push", line_api.push, name="push"),
    path("v2/bot/message/reply", line_api.reply, name="reply"),
    path("v2/bot/message/quota", line_api.quota, name="quota"),
    path(
        "v2/bot/message/quota/consumption",
        line_api.quota_consumption,
        name="quota_consumption",
    ),
    path("v2/bot/message/<str:message_id>/content", line_api.content, name="content"),
    path("v2/bot/profile/<str:user_id>", line_api.profile, name="profile"),
]
