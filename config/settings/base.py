"""Settings shared by every environment. Everything configurable comes from the
environment (django-environ); see README.md, "Production", for the variables."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

# GENERAL
# ------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# DATABASES
# ------------------------------------------------------------------------------
# SQLite is the embedded default for trying the app out; production uses
# PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction begins, so that a check followed by
    # a write in one transaction cannot interleave with another writer.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
# Time limits on every statement of the app's connections, below gunicorn's
# worker timeout (--timeout 30): a locked table or a slow query then ends in the
# app's own "busy, nothing saved" page (accounts.middleware) instead of a killed
# worker. Commands and tasks that need longer use accounts.timeouts.
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=10_000)
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=5_000)
DB_LONG_STATEMENT_TIMEOUT_MS = env.int("DB_LONG_STATEMENT_TIMEOUT_MS", default=600_000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long analytical queries only. On the
    # worklist's queries it took 120 ms of 170 (see docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        f"-c jit=off -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
        f" -c lock_timeout={DB_LOCK_TIMEOUT_MS}",
    )
    # A database host that does not answer fails the connection in 5 s.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    # Keep each worker's connection between requests: opening one (a new
    # server process) cost 5-10 ms of every request (docs/benchmarks.md).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", 600))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# READ REPLICA (optional; accounts.replica)
# ------------------------------------------------------------------------------
# A PostgreSQL streaming replica of the primary (deploy/postgresql/). With it,
# the GET pages of REPLICA_VIEWS (reports, exports, the heavy lists) read
# there; everything else reads and writes on the primary. Without it, nothing
# changes: one database.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **_replica,
        # The primary's time limits, connection reuse and health checks (a
        # replica is of the primary's engine).
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {}))
        if _replica["ENGINE"] == DATABASES["default"]["ENGINE"]
        else {},
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
        # Reads only, outside the request's transaction on the primary.
        "ATOMIC_REQUESTS": False,
        # Tests without a real replica read the test database through it.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["accounts.replica.ReplicaRouter"]
# After a user sends a change (or signs in), her reads stay on the primary for
# this many seconds, on every app server (a signed cookie): she sees her change.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
# Reads go back to the primary while the replica lags by more than this (the
# age of its last replayed change, pg_last_xact_replay_timestamp()) or is down;
# /healthz then says "degraded". Checked at most every REPLICA_CHECK_SECONDS
# in each app server process.
REPLICA_MAX_LAG_SECONDS = env.int("REPLICA_MAX_LAG_SECONDS", default=30)
REPLICA_CHECK_SECONDS = env.int("REPLICA_CHECK_SECONDS", default=5)
# The views (URL names) whose GET and HEAD requests may read from the replica.
REPLICA_VIEWS = env.list(
    "REPLICA_VIEWS",
    default=[
        "reports:index",
        "reports:annual",
        *(f"reports:annual_{fmt}" for fmt in ("json", "csv", "xlsx", "pdf")),
        "reports:funder_summary",
        "reports:funder_summary_csv",
        "reports:data_quality",
        "consultations:client_list",
        "consultations:consultation_list",
        "consultations:consultation_export",
        "consultations:team_worklist",
        "shelter:stay_list",
        "shelter:unmet_list",
        "shelter:salon_list",
        "peergroups:session_list",
        "training:event_list",
    ],
)

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_tasks",
    "django_tasks_db",
]
LOCAL_APPS = [
    "accounts",
    "consultations",
    "shelter",
    "peergroups",
    "training",
    "reports",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTH
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out logins before the password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's, loading the user's organisations with her (accounts.backends).
    "accounts.backends.ModelBackend",
]
# Lockout after repeated failed logins (django-axes): per username and IP, so a
# stranger cannot lock a colleague out from elsewhere. Unknown usernames count
# the same as wrong passwords, and get the same message.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor authentication (TOTP, django-otp) for every member of staff.
# The demo settings switch it off; production has it on.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "ibasho"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions end after this many minutes without a request. The expiry is
# pushed back at most once a minute (accounts.middleware.SessionIdleMiddleware),
# not written on every request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# Database sessions that stay readable while the database refuses writes.
SESSION_ENGINE = "accounts.sessions"
SESSION_REFRESH_SECONDS = 60
# Page parts computed from records (worklists, lists, calendars) are kept in
# the process's own memory until the data they read changes
# (accounts.dataversion): never in a shared cache, which would hold personal
# data outside the database.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "records": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "records",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}
RECORDS_CACHE = env.bool("RECORDS_CACHE", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionIdleMiddleware",
    "accounts.middleware.JapaneseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.RefuseNulMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    "accounts.scoping.ScopeMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.middleware.DatabaseTroubleMiddleware",
    # Last: its process_exception sees a replica failure first.
    "accounts.replica.ReplicaReadsMiddleware",
]

# I18N
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
            # |jdate and |jdatetime in every template: dates on screen
            # follow one rule (jpdates.screen_date).
            "builtins": ["accounts.templatetags.dates"],
        },
    },
]

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# SHARED FILES
# ------------------------------------------------------------------------------
# Files the app keeps and serves later (LINE content, import uploads) go
# through Django's storage API, each in its own private storage
# (config.storages): a folder on this server's disk by default
# (LINE_MEDIA_ROOT, IMPORT_UPLOAD_DIR), or, with several servers, an
# S3-compatible bucket (django-storages) when MEDIA_S3_BUCKET is set. The
# objects are private (ACL "private") and have no URL: the app's audited views
# stream them. Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or
# whatever else boto3 finds: an instance role). Keys are prefixed
# "line-media/" and "imports/".
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET", default="")
MEDIA_S3_ENDPOINT_URL = env("MEDIA_S3_ENDPOINT_URL", default="") or None
MEDIA_S3_REGION = env("MEDIA_S3_REGION", default="") or None
# "path" for S3-compatible stores that need it (MinIO); boto3 chooses if unset.
MEDIA_S3_ADDRESSING_STYLE = env("MEDIA_S3_ADDRESSING_STYLE", default="") or None


def private_storage(*, root_setting: str, prefix: str, overwrite: bool) -> dict:
    """The STORAGES entry of one private storage: the bucket under ``prefix``
    when MEDIA_S3_BUCKET is set, else the folder named by ``root_setting``.
    ``overwrite``: saving a name that exists replaces the file (else the
    storage picks another name)."""
    if MEDIA_S3_BUCKET:
        return {
            "BACKEND": "config.storages.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": MEDIA_S3_BUCKET,
                "location": prefix,
                "endpoint_url": MEDIA_S3_ENDPOINT_URL,
                "region_name": MEDIA_S3_REGION,
                "addressing_style": MEDIA_S3_ADDRESSING_STYLE,
                "file_overwrite": overwrite,
                # A file read back (to serve it) is held in memory up to
                # this size, beyond it in a temporary file (owner only).
                "max_memory_size": 2 * 1024 * 1024,
            },
        }
    return {
        "BACKEND": "config.storages.PrivateFileSystemStorage",
        "OPTIONS": {"root_setting": root_setting, "allow_overwrite": overwrite},
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "line_media": private_storage(
        root_setting="LINE_MEDIA_ROOT", prefix="line-media", overwrite=False
    ),
    "imports": private_storage(
        root_setting="IMPORT_UPLOAD_DIR", prefix="imports", overwrite=True
    ),
}

# SECURITY
# ------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
# Content Security Policy (django-csp): scripts and styles from this site only.
# Inline style attributes are allowed (style-src-attr), inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        # LINE profile pictures (shown to admins, and to counsellors with
        # LINE_SHOW_PROFILE_PICTURE) come from LINE's image host, fetched
        # with no referrer.
        "img-src": ["'self'", "data:", "https://profile.line-scdn.net"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# LOGGING
# ------------------------------------------------------------------------------
# Records never carry personal data: log lines name ids and codes only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Django's request logger would print the URL; our URLs carry ids only,
        # never names or phone numbers.
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every start and login at INFO; keep its warnings.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# IMPORT-EXPORT
# ------------------------------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Off: django-import-export's own escaping strips a leading "=" and lets "+",
# "-" and "@" through. Every export writes its cells with
# accounts.spreadsheet.safe_cell instead (the OWASP rule, nothing stripped).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Should an ImportExportModelAdmin ever be used, it asks for these model
# permissions, which the role groups hold per app (accounts.roles). The app's
# own imports and exports check roles per kind (reports.imports.KINDS).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# LINE
# ------------------------------------------------------------------------------
LINE_CHANNEL_SECRET = env("LINE_CHANNEL_SECRET", default="")
LINE_CHANNEL_ACCESS_TOKEN = env("LINE_CHANNEL_ACCESS_TOKEN", default="")
LINE_API_BASE_URL = env("LINE_API_BASE_URL", default="https://api.line.me")
# The keys that encrypt each LINE official account's channel secret and access
# token in the database (consultations.line.secrets): Fernet keys, comma
# separated, the newest first. Rotation: put a new key first, run
# `manage.py rotate_line_secrets`, then drop the old key.
LINE_SECRETS_KEYS = env.list("LINE_SECRETS_KEYS", default=[])
# The LINE simulator and the stand-in Messaging API (devtools): a development
# tool, on in config.settings.local (the demo) and in the tests only.
LINE_SIMULATOR = False
# A reply uses the reply token (free of charge) for this many seconds after
# the person's message, and push (counted in the month's messages) after.
LINE_REPLY_TOKEN_SECONDS = env.int("LINE_REPLY_TOKEN_SECONDS", default=50)
# Pauses before each new attempt at a reply held back by LINE's rate limit
# (429); after the last, the reply is marked not sent.
LINE_RATE_LIMIT_BACKOFF_SECONDS = env.list(
    "LINE_RATE_LIMIT_BACKOFF_SECONDS", cast=int, default=[5, 30, 120, 600]
)
# The inbox shows the month's LINE messages used and left, asked of LINE at
# most this often, and warns when fewer than this percentage are left.
LINE_QUOTA_CACHE_SECONDS = env.int("LINE_QUOTA_CACHE_SECONDS", default=300)
LINE_QUOTA_WARN_PERCENT = env.int("LINE_QUOTA_WARN_PERCENT", default=10)
# Show the person their messages as read (既読) when a counsellor opens the
# conversation. LINE allows this to some accounts only.
LINE_SEND_READ_RECEIPTS = env.bool("LINE_SEND_READ_RECEIPTS", default=False)
# The greeting with the privacy notice and consent button, and the reply
# outside the LINE desk's opening hours, through the free reply token
# (consultations.line.autoreply; texts in the admin).
LINE_AUTO_REPLIES = env.bool("LINE_AUTO_REPLIES", default=True)
# Counsellors do not see the person's LINE profile picture unless this is on
# (admins always do); they never see the LINE user id. A per-organisation
# setting replaces this when organisations come.
LINE_SHOW_PROFILE_PICTURE = env.bool("LINE_SHOW_PROFILE_PICTURE", default=False)
# Message content (images, video, voice, files) is fetched from LINE's data
# host; tests and demos point it at a local stub.
LINE_DATA_API_BASE_URL = env(
    "LINE_DATA_API_BASE_URL", default="https://api-data.line.me"
)
# Downloaded content is kept here, private: never under MEDIA_URL or static,
# served only through the conversation's media view. Back it up with the
# database. With MEDIA_S3_BUCKET set, it is kept in the bucket instead
# (SHARED FILES).
LINE_MEDIA_ROOT = env("LINE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "line-media"))
# Content larger than this is not kept (LINE allows videos up to 200 MB).
LINE_MEDIA_MAX_BYTES = env.int("LINE_MEDIA_MAX_BYTES", default=50 * 1024 * 1024)
# A download that failed on a network error or a 5xx is tried again by the
# worker this many times in all (then a counsellor can retry it).
LINE_MEDIA_ATTEMPTS = env.int("LINE_MEDIA_ATTEMPTS", default=3)

# DEMO
# ------------------------------------------------------------------------------
# seed_demo creates users with a known password: never in production.
SEED_DEMO_ALLOWED = False

# IMPORTS
# ------------------------------------------------------------------------------
# Uploaded files wait here between the preview and the confirmation (in the
# bucket instead with MEDIA_S3_BUCKET set: SHARED FILES).
IMPORT_UPLOAD_DIR = env("IMPORT_UPLOAD_DIR", default=str(BASE_DIR / "var" / "imports"))
# Limits of one import file, checked while it streams, before any heavy work:
# a file past one is refused with a message naming it (reports/imports.py).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# An .xlsx is a zip: the sizes its members unpack to, together.
IMPORT_MAX_UNZIPPED_BYTES = env.int(
    "IMPORT_MAX_UNZIPPED_BYTES", default=200 * 1024 * 1024
)
# Rows below the header, blank ones included.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=150_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=10_000)
# A browser import of more rows is checked and written by the task worker
# (manage.py db_worker), with its progress shown, rather than in the request.
IMPORT_SYNC_MAX_ROWS = env.int("IMPORT_SYNC_MAX_ROWS", default=5_000)
# Uploads neither confirmed nor cancelled are deleted after this many hours
# (a task scheduled at each upload, and manage.py purge_import_uploads).
IMPORT_STASH_HOURS = env.int("IMPORT_STASH_HOURS", default=24)

# TASKS
# ------------------------------------------------------------------------------
# Background tasks (django-tasks) kept in the database; `manage.py db_worker`
# runs them. Works the same on SQLite and PostgreSQL.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
