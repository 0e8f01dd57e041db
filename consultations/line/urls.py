from django.urls import path

from . import views

app_name = "line"

urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    # The same webhook without the slash: LINE's Verify button does not
    # follow the redirect that APPEND_SLASH would answer.
    path("webhook", views.webhook, name="webhook_no_slash"),
    # Each organisation's official account: its own URL, its own secret.
    path("webhook/<str:channel_id>/", views.channel_webhook, name="channel_webhook"),
    path(
        "webhook/<str:channel_id>",
        views.channel_webhook,
        name="channel_webhook_no_slash",
    ),
    path("inbox/", views.inbox, name="inbox"),
    path("status/", views.status, name="status"),
    path("inbox/<int:pk>/", views.conversation, name="conversation"),
    path("supervision/", views.supervision, name="supervision"),
    path("chats/<int:pk>/claim/", views.chat_claim, name="chat_claim"),
    path("chats/<int:pk>/transfer/", views.chat_transfer, name="chat_transfer"),
    path("chats/<int:pk>/take-over/", views.chat_take_over, name="chat_take_over"),
    path("chats/<int:pk>/end/", views.chat_end, name="chat_end"),
    path("inbox/<int:pk>/link/", views.link_client, name="link_client"),
    path("inbox/<int:pk>/new-client/", views.create_client, name="create_client"),
    path("inbox/<int:pk>/record/", views.record, name="record"),
    path("inbox/<int:pk>/reply/", views.reply, name="reply"),
    path("inbox/<int:pk>/profile/", views.refresh_profile, name="refresh_profile"),
    path(
        "inbox/<int:pk>/reply/<int:message_pk>/resend/",
        views.resend,
        name="resend",
    ),
    path(
        "inbox/<int:pk>/reply/<int:message_pk>/discard/",
        views.discard,
        name="discard",
    ),
    path("inbox/<int:pk>/media/<int:message_pk>/", views.media, name="media"),
    path(
        "inbox/<int:pk>/media/<int:message_pk>/thumbnail/",
        views.media_thumbnail,
        name="media_thumbnail",
    ),
    path(
        "inbox/<int:pk>/media/<int:message_pk>/retry/",
        views.media_retry,
        name="media_retry",
    ),
    # Live updates of the open pages (static/js/line_live.js).
    path("live/inbox/", views.inbox_updates, name="inbox_updates"),
    path("live/worklist/", views.worklist_updates, name="worklist_updates"),
    path(
        "live/conversation/<int:pk>/",
        views.conversation_updates,
        name="conversation_updates",
    ),
]
