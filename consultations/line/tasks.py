"""Background tasks of LINE intake (django-tasks, run by `manage.py db_worker`).

An unexpected error is logged by its class name only and the task ends
normally, so that no traceback holding message data is stored with the
task's result; the content stays pending or is marked failed."""

from __future__ import annotations

import logging

from django_tasks import task

from accounts import scoping

from .models import LineMedia

logger = logging.getLogger(__name__)


@task()
@scoping.run_in_scope(LineMedia, "media_id")
def download_line_content(media_id: int) -> str | None:
    """Download the content of one image, video, voice or file message from
    LINE into the private storage (consultations.line.services)."""
    from .services import line_media_download

    try:
        # In the scope of the message's organisation (run_in_scope), with its
        # account's token.
        return line_media_download(media_id=media_id)
    except Exception as exc:
        logger.error(
            "LINE content #%s not downloaded: %s", media_id, type(exc).__name__
        )
        LineMedia.objects.filter(pk=media_id, status=LineMedia.Status.PENDING).update(
            status=LineMedia.Status.FAILED
        )
        return LineMedia.Status.FAILED
