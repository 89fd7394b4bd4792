"""Settings for BCF Portal, read from the environment.

Defaults give the embedded mode a newcomer gets from `make run`: a SQLite file under var/,
Celery tasks run eagerly in-process, files on local disk and email to the console.
Production sets DEBUG=false and must then provide SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file and media here

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "simple_history",
    "rules",
    "axes",
    "csp",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    # The portal's apps, lowest layer first (pyproject.toml's import-linter contract has the order).
    "rounds",
    "accounts",
    "plans",
    "schemes",
    "metrics",
    "capacity",
    "finance",
    "governance",
    "monitoring",
    "api",
    "opendata",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.security.PermissionDeniedAuditMiddleware",
    # Every /api/ call in the audit log, once (so after the refusal recorder above).
    "api.audit.ApiCallAuditMiddleware",
    "accounts.security.SessionIdleRenewalMiddleware",
    "accounts.security.SignedInNoStoreMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bcf_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plans.context_processors.service",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "bcf_portal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Each web process keeps its connection open for DB_CONN_MAX_AGE seconds (0: a new one per request,
# which cost the signed-in pages three quarters of their throughput; docs/performance.md), checked
# before reuse so a restarted PostgreSQL costs one failed check rather than one failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
# On PostgreSQL the server binds each query's parameters, and psycopg prepares a statement once a
# connection has run it five times, so the plan pages' joins are not planned afresh on every request
# (docs/performance.md, eighth look). Turn it off (DB_PREPARED_STATEMENTS=false) behind a pooler in
# transaction mode, such as PgBouncer's, which cannot keep a prepared statement between transactions.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must survive parallel requests (twenty people signing at once). WAL lets
    # pages read while another request writes; IMMEDIATE takes the write lock when a transaction
    # starts, so two writers queue instead of one failing when its read turns into a write (which
    # SQLite answers "database is locked" at once, without waiting); and a writer waits up to
    # SQLITE_BUSY_TIMEOUT seconds for the lock, long enough for a submission to render its files.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=60),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# The covering index on expenditure amounts is a PostgreSQL optimisation; SQLite (the first-run
# default) makes it a plain index, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "plans:your_plans"
LOGOUT_REDIRECT_URL = "login"

# Argon2 first: new and changed passwords are hashed with it; older hashes still verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="BCF Portal <noreply@bcf-portal.localhost>")
# Links in emails are absolute: SITE_URL is the portal's address as people reach it. With DEBUG off
# and email on, a missing SITE_URL stops the app at start-up (accounts.checks).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# GOV.UK Notify (EMAIL_BACKEND=accounts.notify.NotifyEmailBackend): one template per message kind
# (accounts.email.MESSAGES), each given as NOTIFY_TEMPLATE_<KIND>, e.g. NOTIFY_TEMPLATE_INVITATION.
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env.str("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_TEMPLATE_IDS = {
    key.removeprefix("NOTIFY_TEMPLATE_").lower(): value
    for key, value in env.ENVIRON.items()
    if key.startswith("NOTIFY_TEMPLATE_") and value
}
# Where people write about accessibility, privacy and their data (the public pages say so).
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="bcf-support@example.org")
# How long an invitation's link works.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# How long a "forgot your password" link works (Django's setting, in seconds): one hour.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)

# Celery: with no broker configured, tasks run in-process so a newcomer needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Reminders run on schedules kept in the database (django-celery-beat), which national admins
# change in the admin; `make beat` runs the scheduler, `manage.py migrate` creates the defaults.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

SERVICE_NAME = "Better Care Fund plans"
PHASE = env.str("PHASE", default="beta")

# Upload limits (bytes); the Part 2 import limit is also stated in the README.
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_SIZE + 1024 * 1024
# A Part 2 workbook's zip directory may promise at most this much once expanded (zip-bomb guard).
MAX_WORKBOOK_UNCOMPRESSED_SIZE = env.int("MAX_WORKBOOK_UNCOMPRESSED_SIZE", default=50 * 1024 * 1024)

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Django's cache holds sessions (read through it, kept in the database too), the rounds' configuration,
# rendered answers and the API rate-limit counts. The default is per process, right for the embedded
# single process; with several web processes set CACHE_URL (e.g. redis://redis:6379/2) so they share
# one, or a sign-out in one process would not reach another's cached session. A redis:// URL uses
# django-redis (django-environ's choice when it is installed), which keeps one client per server where
# Django's own Redis backend built a new one for every call, a tenth of a millisecond each.
CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://"),
    # Each process's own memory, for copies keyed by a version kept in the shared cache (accounts.backends).
    "process": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "process",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
    # Each process's own copies of large tables' HTML, kept by what they show (plans.fragments). Their
    # own alias so their number, not the small entries above, bounds the memory: 1,000 tables of up to
    # about 60 kB each (a plan's schemes), the least recently used dropped first.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 1_000},
    },
}
# Sessions read from the cache, written to both: losing the cache (a Redis restart) signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- The national data API (api app, docs/api.md) -------------------------------------------
# Calls each personal token may make (DRF rate syntax: N/second, minute, hour or day).
API_RATE = env.str("API_RATE", default="600/hour")

# --- Security -------------------------------------------------------------------------------
# Sessions end after SESSION_COOKIE_AGE of inactivity and when the browser closes, so an
# unattended shared computer does not stay signed in. The idle clock is renewed by
# accounts.security.SessionIdleRenewalMiddleware at most every 5 minutes rather than with
# SESSION_SAVE_EVERY_REQUEST, which would add a database write to every page.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes first (it refuses a locked-out username+IP before any password is checked), then
# django-rules for object permissions (accounts.permissions, plans.permissions), then the model backend,
# which reads the signed-in user and their memberships through the cache (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "accounts.backends.CachedModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The sign-in form's field is "username" (holding the email); axes would otherwise look for "email".
AXES_USERNAME_FORM_FIELD = "username"
# Failures are counted against the email as accounts store it (trimmed, lower case), so no
# spelling of an address escapes its lockout.
AXES_USERNAME_CALLABLE = "accounts.security.sign_in_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client address for lockouts and the audit log: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT
# proxies that each append to X-Forwarded-For, the entry the outermost of them added (entries a
# client wrote itself are never trusted).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
if TRUSTED_PROXY_COUNT > 0:
    # Only a proxy of ours may say the browser's request came over HTTPS. With none in front, the
    # header is the client's own word: trusting it would treat plain HTTP as secure.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): scripts only from this site, plus the one inline
# script in base.html which carries the per-request nonce. Inline style attributes are allowed
# (chart bars set their width), inline scripts and event-handler attributes are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The national data API (api/, docs/api.md): read-only, token or session, JSON or CSV, cursor pages.
REST_FRAMEWORK = {
    # Personal tokens only ("Authorization: Bearer …"): a browser session is not accepted (docs/api.md).
    # The Swagger page's "Authorize" button takes a token.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    # For reference: TokenRateThrottle reads settings.API_RATE itself, so overrides apply at once.
    "DEFAULT_THROTTLE_RATES": {"api_token": API_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.renderers.CsvRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BCF Portal national data API",
    "DESCRIPTION": "Read-only access to Better Care Fund plans, returns and rounds. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The document describes the API, not its data: anyone may read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "plans.models.Plan.Status",
        "ReturnStatusEnum": "monitoring.models.Return.Status",
        "ConditionStatusEnum": "plans.models.ConditionResponse.Status",
        "UnitEnum": "rounds.units.UNIT_CHOICES",
    },
}

# Optional single sign-on through OpenID Connect: on only when the client id is set. Users are
# matched by email to accounts an administrator has already created (no self-registration).
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("accounts.oidc.EmailOIDCBackend")
    OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
    OIDC_RP_SCOPES = "openid email"
    OIDC_CREATE_USER = False
    LOGIN_REDIRECT_URL_FAILURE = "/sign-in/"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # SECURE_COOKIES=false only for plain-HTTP loopback runs such as the benchmark.
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-axes logs every successful sign-in's reset at INFO; lockouts still log at WARNING.
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each rendering step at INFO (and parses its own stylesheets on import, so
        # every manage.py command printed them); fontTools logs each font it subsets. Problems
        # with a document still log at WARNING.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
