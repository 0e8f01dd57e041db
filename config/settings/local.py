"""Settings for trying the app out on one machine: SQLite by default, DEBUG on."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env(
    "SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production-0123456789"
)
SEED_DEMO_ALLOWED = True

# Serve static files from the app folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The demo runs without two-factor authentication (set OTP_REQUIRED=True to try it).
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
