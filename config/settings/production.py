"""Production settings. Secrets have no default: the app refuses to start
without them, and it refuses to start with DEBUG on."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DB_LOCK_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, STORAGES, env

if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG).")
DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: ImproperlyConfigured when missing
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# SECURITY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# STATIC (whitenoise serves hashed, compressed files)
# ------------------------------------------------------------------------------
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Secrets with no default in production.
LINE_CHANNEL_SECRET = env("LINE_CHANNEL_SECRET")
LINE_CHANNEL_ACCESS_TOKEN = env("LINE_CHANNEL_ACCESS_TOKEN")
# The keys of the LINE official accounts' secrets (see config.settings.base).
LINE_SECRETS_KEYS = env.list("LINE_SECRETS_KEYS")
if not LINE_SECRETS_KEYS:
    raise ImproperlyConfigured("LINE_SECRETS_KEYS must name at least one key")
SEED_DEMO_ALLOWED = False
OTP_REQUIRED = True

# The LINE simulator and its stand-in Messaging API are a development tool.
if env.bool("LINE_SIMULATOR", default=False):
    raise ImproperlyConfigured(
        "LINE_SIMULATOR is a development tool and cannot be on in production "
        "(unset LINE_SIMULATOR)."
    )
LINE_SIMULATOR = False

# DATABASE TIME LIMITS: on, and below gunicorn's worker timeout (--timeout 30).
if not (0 < DB_STATEMENT_TIMEOUT_MS < 30_000 and 0 < DB_LOCK_TIMEOUT_MS < 30_000):
    raise ImproperlyConfigured(
        "DB_STATEMENT_TIMEOUT_MS and DB_LOCK_TIMEOUT_MS must be between 1 and "
        "29999 (milliseconds), below gunicorn's --timeout 30."
    )
