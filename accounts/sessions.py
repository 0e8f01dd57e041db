"""Sessions in the database (Django's ``db`` engine), kept usable while the
database refuses changes.

A signed-in user's session is written again about once a minute to push back
its expiry (accounts.middleware.SessionIdleMiddleware). With a read-only or
overloaded database that write fails, and Django would answer the page with
"400 Bad Request" although it was read fine. Here such a failed refresh is
logged and the session stays as stored: it then ends at its old expiry, never
later. Creating a session (signing in) and ending one (signing out) still
fail, and the user gets the app's "busy, nothing saved" page.
"""

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, InternalError, OperationalError

logger = logging.getLogger(__name__)


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            # A session deleted meanwhile (signed out in another tab) is a plain
            # DatabaseError: Django's answer to that is kept.
            refused = (OperationalError, InternalError, InterfaceError)
            if not isinstance(exc.__context__, refused):
                raise
            logger.warning(
                "session expiry not pushed back: the database refused the write (%s)",
                type(exc.__context__.__cause__ or exc.__context__).__name__,
            )
