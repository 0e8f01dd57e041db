"""Settings for the test suite: fast hashing, in-memory cache and mail."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, INSTALLED_APPS, STORAGES, env

DEBUG = False
SECRET_KEY = env(
    "SECRET_KEY", default="test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The records cache is off, so that every test reads the database; the tests
# of accounts.dataversion turn it on.
RECORDS_CACHE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SEED_DEMO_ALLOWED = True
LINE_CHANNEL_SECRET = "test-channel-secret"
LINE_CHANNEL_ACCESS_TOKEN = "test-access-token"
# A fixed key (not a secret: it encrypts test data only).
LINE_SECRETS_KEYS = ["gXzvNVAjvpYVV_PVgN4nNnVSZ21wOg8IFTJ2FhxVtqI="]
# Nothing listens here: a test that talks to LINE starts a local stub and
# points LINE_API_BASE_URL at it; any other call fails at once.
LINE_API_BASE_URL = "http://127.0.0.1:9"
# The LINE simulator and stand-in Messaging API (devtools) are on, so that the
# role matrix covers their URLs. The simulator posts to the webhook of the
# server that serves its page unless LINE_SIMULATOR_WEBHOOK_URL says otherwise.
LINE_SIMULATOR = env.bool("LINE_SIMULATOR", default=True)
if LINE_SIMULATOR:
    INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
LINE_SIMULATOR_WEBHOOK_URL = ""
# Off, so that the other tests' replies and query counts do not depend on
# the time of day (the LINE desk's hours); the tests of automatic replies
# turn them on (consultations/tests/test_line_desk.py).
LINE_AUTO_REPLIES = env.bool("LINE_AUTO_REPLIES", default=False)

# Serve static files from the app folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

IMPORT_UPLOAD_DIR = tempfile.mkdtemp(prefix="ibasho-test-imports-")
LINE_MEDIA_ROOT = tempfile.mkdtemp(prefix="ibasho-test-line-media-")

# Two-factor is tested on its own (tests/test_security.py).
OTP_REQUIRED = False

# SQLite: the test database is a file, as the demo's is, rather than shared
# memory. Threads in the concurrency tests then each open their own connection
# and wait for the write lock (IMMEDIATE mode, `timeout`), as they would in
# use; with shared memory they fail at once with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault(
        "NAME",
        os.path.join(tempfile.gettempdir(), f"ibasho-test-{os.getpid()}.sqlite3"),
    )
