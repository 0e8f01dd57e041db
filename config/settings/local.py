"""Settings for trying the app out on one machine: SQLite by default, DEBUG on."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, LINE_CHANNEL_ACCESS_TOKEN, LINE_CHANNEL_SECRET, env

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

# The key of the demo's LINE secrets (not a secret: it encrypts demo data only;
# set LINE_SECRETS_KEYS to use your own).
LINE_SECRETS_KEYS = env.list(
    "LINE_SECRETS_KEYS", default=["imLUf1eTPfLmbrTfj48fJTdiawJLMt9FPxyNtYcS3Ks="]
)

# LINE SIMULATOR (development tool; config.settings.production refuses it)
# ------------------------------------------------------------------------------
# The demo talks to a stand-in for the LINE Messaging API served by this same
# server (/dev/line-api/), and has a LINE simulator (/dev/line-simulator/)
# where one writes as a client: no LINE account needed. DEMO_ADDRESS is where
# bin/demo serves the app; the stand-in's URLs and the webhook the simulator
# posts to are on it. Set LINE_SIMULATOR=false (and the LINE_* variables) to
# try a real LINE channel instead.
LINE_SIMULATOR = env.bool("LINE_SIMULATOR", default=True)
DEMO_ADDRESS = env("DEMO_ADDRESS", default="127.0.0.1:8000")
if LINE_SIMULATOR:
    INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
    LINE_CHANNEL_SECRET = LINE_CHANNEL_SECRET or "demo-channel-secret"
    LINE_CHANNEL_ACCESS_TOKEN = LINE_CHANNEL_ACCESS_TOKEN or "demo-access-token"
    LINE_API_BASE_URL = env(
        "LINE_API_BASE_URL", default=f"http://{DEMO_ADDRESS}/dev/line-api"
    )
    LINE_DATA_API_BASE_URL = env(
        "LINE_DATA_API_BASE_URL", default=f"http://{DEMO_ADDRESS}/dev/line-api"
    )
    LINE_SIMULATOR_WEBHOOK_URL = env(
        "LINE_SIMULATOR_WEBHOOK_URL", default=f"http://{DEMO_ADDRESS}/line/webhook"
    )
