"""Settings for the test suite: fast hashing, in-memory cache and mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env(
    "SECRET_KEY", default="test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SEED_DEMO_ALLOWED = True
LINE_CHANNEL_SECRET = "test-channel-secret"
LINE_CHANNEL_ACCESS_TOKEN = "test-access-token"

# Serve static files from the app folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

import tempfile  # noqa: E402

IMPORT_UPLOAD_DIR = tempfile.mkdtemp(prefix="ibasho-test-imports-")

# Two-factor is tested on its own (tests/test_security.py).
OTP_REQUIRED = False
