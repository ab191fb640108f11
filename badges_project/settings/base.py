"""Settings shared by every environment. Values come from the environment (django-environ).

Each environment module (local, test, production) imports this one and overrides only
what differs. README.md lists every variable with its default.
"""

import ipaddress
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is a convenience for development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The absolute origin (scheme + host) public documents and emails point at; Open Badges
# ids must be absolute URLs, and an email has no request to take the host from.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # The form widgets' own templates, for FORM_RENDERER below.
    "django.forms",
    "rest_framework",
    "django_filters",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "issuers",
    "templates_app",
    "earners",
    "assertions",
    "credentials",
    "imports",
    # The pages: thin, calling the services of the apps above; no app above imports these.
    "assign",
    "workspace",
    "public_pages",
    "backpack",
]

MIDDLEWARE = [
    # /healthz and /readyz for probes that address the machine, not a listed host.
    "core.health.ProbesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Marks the requests whose reads may go to the read replica (core/db_router.py).
    "core.db_router.ReplicaReadsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "core.throttle.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# GET/HEAD paths whose reads tolerate replication lag: with DATABASE_REPLICA_URL they read
# from the replica (core/db_router.py). Public pages, documents, images and keys; exports
# and statistics (a second's lag does not change a report).
REPLICA_READ_PATHS = [
    r"^/public/",
    r"^/issuers/[A-Za-z0-9_-]{22}/(did\.json|jwks\.json|status/[0-9]+)$",
    r"^/api/v1/badges/export/?$",
    r"^/api/v1/statistics/?",
]

ROOT_URLCONF = "badges_project.urls"
WSGI_APPLICATION = "badges_project.wsgi.application"

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
            ],
        },
    },
]
# Forms render with the site's templates (templates/django/forms/field.html: a field's
# label, control, help and errors together, with the ids aria-describedby names).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    # Values travel apart from the statement (server-side binding), so that psycopg
    # prepares a statement once a connection has sent it five times: PostgreSQL then
    # parses and plans it once, not at every request. Planning was most of PostgreSQL's
    # time per API request (an award and a trivial GET: 2.6 -> 0.8 ms of statements).
    # Off (DB_PREPARED_STATEMENTS=false) behind a pooler in transaction mode, such as
    # PgBouncer: docs/deployment.md.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# English and Italian (locale/<code>/LC_MESSAGES). A page is in the signed-in user's
# chosen language, else the browser's (Accept-Language), else LANGUAGE_CODE; an email in
# its recipient's (earner, else issuer default, else LANGUAGE_CODE): core.i18n.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
# Files that hold people's data and are never served (queued assignment rows, uploaded
# import documents, the assign wizard's drafts): outside MEDIA_ROOT (core.storage).
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "core.storage.PrivateFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Each step of an SMTP conversation gives up after this; keep it well under
# OUTBOX_STUCK_SENDING_SECONDS, or a slow live send may be taken for a dead one.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="badges@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BadgrOAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's JSON written by orjson; /v2 wraps it in Badgr's envelope (core.api.renderers).
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Named here (django-oauth-toolkit's default) so that other apps' models may point at it:
# credentials.RegisteredClient, the OB 3.0 API's dynamically registered clients.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "r:profile": "See who you are",
        "rw:profile": "Update your own user profile",
        "r:issuer": "See your issuers, badge templates and awarded badges",
        "rw:issuer": "Award badges and update your issuers",
        "r:backpack": "See the badges you have earned",
        "rw:backpack": "Manage the badges you have earned",
        # The Open Badges 3.0 API (credentials.api.ob3; clients register by RFC 7591 and
        # their tokens are limited to the scopes they registered).
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly": (
            "See the Open Badges credentials you hold"
        ),
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert": (
            "Add Open Badges credentials to your backpack"
        ),
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly": "See your profile",
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update": "Update your profile",
    },
    "DEFAULT_SCOPES": ["r:profile"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.BadgrCompatibleValidator",
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP), adopted ahead of django-oauth-toolkit 4.0:
    # no implicit grant, S256-only PKCE, RFC 9207 `iss`, hashed token storage, refresh
    # token replay detection, https-only redirect URIs outside development. The password
    # grant and query-string tokens that Badgr clients rely on are re-allowed narrowly
    # (built-in public client only) by the accounts app, not globally here.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": env.list("OAUTH2_REDIRECT_URI_SCHEMES", default=["https"]),
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH2_ACCESS_TOKEN_EXPIRE_SECONDS", default=86400),
}

# How long a token of POST /v2/tokens/issuers (one issuer's, for scripts) lives.
ISSUER_TOKEN_LIFETIME_DAYS = env.int("ISSUER_TOKEN_LIFETIME_DAYS", default=365)

SPECTACULAR_SETTINGS = {
    "TITLE": "Badges platform API",
    "DESCRIPTION": (
        "Open Badges issuing platform: the Badgr-compatible `/v2` API and the Open Badge "
        "`/api/v1` API. Authenticate with an OAuth2 bearer token from `/o/token`. Any "
        "operation may also answer 413 (a body over DATA_UPLOAD_MAX_MEMORY_SIZE) or 503 "
        "(the database went away; retry) with the error body, and nothing saved."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc assets ship in the sidecar package, so the docs page works
    # on a closed network and needs no third-party CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["password", "clientCredentials", "authorizationCode"],
    "OAUTH2_TOKEN_URL": "/o/token",
    "OAUTH2_AUTHORIZATION_URL": "/o/authorize/",
    "OAUTH2_REFRESH_URL": "/o/token",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used under several field names (and two "status" sets) get one name.
    "ENUM_NAME_OVERRIDES": {
        "BadgeStatusEnum": "assertions.models.AssertionStatus",
        "AssignmentStatusEnum": "assertions.models.BatchStatus",
        "ValidityUnitEnum": "templates_app.models.ValidityUnit",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Three queues so a 100,000-row batch never delays one earner's email: run at least one
# worker per queue (docs/deployment.md).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "core.tasks.send_outbound_email": {"queue": "emails"},
    "core.tasks.send_outbound_emails": {"queue": "emails"},
    "assertions.tasks.run_assignment_batch": {"queue": "bulk"},
    "assertions.tasks.run_assignment_chunk": {"queue": "bulk"},
    "imports.tasks.run_badgr_import": {"queue": "bulk"},
    "imports.tasks.run_documents_import": {"queue": "bulk"},
}
# Beat's record of when each periodic task last ran: a file the beat user can write (the
# container image's /app is not), never inside an installed package.
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
# Redis gives a message that a worker took and never acknowledged (acks_late: it died) to
# another worker after this many seconds. It stays above the time limit, so a task still
# running is never handed to a second worker; what a dead worker held is taken over
# sooner by the beat sweeps below, from the database (docs/deployment.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60),
}
CELERY_BEAT_SCHEDULE = {
    # Re-enqueue outbox rows whose task was lost (broker down at commit, worker killed).
    # Both every 5 s, so that work a dead worker held is taken over within a minute
    # (docs/deployment.md, "Workers that die"); each is an indexed query or two when idle.
    "sweep-outbox": {"task": "core.tasks.sweep_outbox", "schedule": 5.0},
    # Valid badges past their expiry become "invalid".
    "expire-badges": {"task": "assertions.tasks.expire_badges", "schedule": 300.0},
    # Reminders of badges about to expire, for issuers that ask for them (once a badge).
    "remind-expiring-badges": {
        "task": "assertions.tasks.remind_expiring_badges",
        "schedule": 3600.0,
    },
    # Assignment batches whose run was lost (broker down at commit, worker killed).
    "resume-batches": {"task": "assertions.tasks.resume_assignment_batches", "schedule": 5.0},
    # Import runs (Badgr server, Open Badges files) whose run was lost the same way.
    "resume-imports": {"task": "imports.tasks.resume_import_runs", "schedule": 300.0},
    # CREDITS_MONTHLY_GRANT: hourly, so a beat that was down on the 1st still grants; once
    # per issuer and month (a unique ledger period), so running it again grants nothing.
    "grant-monthly-credits": {"task": "issuers.tasks.grant_monthly_credits", "schedule": 3600.0},
    # The assign wizard's drafts (earners' names and emails) a day after they were started.
    "expire-wizard-drafts": {"task": "assign.tasks.expire_wizard_drafts", "schedule": 3600.0},
}
# A chunk of an assignment batch claimed this long ago, not done, and whose row no worker
# holds locked (a live one holds it while it awards it) lost its worker and is sent again;
# a chunk or pending batch waits that long for a worker, or ASSIGN_BATCH_BACKLOG_SECONDS
# while others are queued (assertions.services.batches).
ASSIGN_BATCH_IDLE_SECONDS = env.int("ASSIGN_BATCH_IDLE_SECONDS", default=15)
ASSIGN_BATCH_BACKLOG_SECONDS = env.int("ASSIGN_BATCH_BACKLOG_SECONDS", default=600)
# An outbox row pending this long without being sent is re-enqueued when nothing waits in
# the emails queue (with a backlog queued, after OUTBOX_BACKLOG_RETRY_SECONDS); one stuck
# in "sending" this long (its worker died mid-send) is tried again, once (core.services).
# A live send holds "sending" for one SMTP transaction, each step at most EMAIL_TIMEOUT.
OUTBOX_RETRY_AFTER_SECONDS = env.int("OUTBOX_RETRY_AFTER_SECONDS", default=30)
OUTBOX_BACKLOG_RETRY_SECONDS = env.int("OUTBOX_BACKLOG_RETRY_SECONDS", default=600)
OUTBOX_STUCK_SENDING_SECONDS = env.int("OUTBOX_STUCK_SENDING_SECONDS", default=45)
# A failed send is retried after this many seconds, doubling each time (at most an hour).
OUTBOX_RETRY_BACKOFF_SECONDS = env.float("OUTBOX_RETRY_BACKOFF_SECONDS", default=30)

# Every handler scrubs credentials from what it writes (core.log_scrub): tokens and
# passwords in query strings, Authorization headers, and the path segment after each
# of LOG_SECRET_PATHS (the set-password and email-confirmation links' tokens).
LOG_SECRET_PATHS = [r"/accounts/set-password/[^/?#\s]+/", r"/accounts/email/confirm/"]
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_secrets": {"()": "core.log_scrub.ScrubSecrets"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers (and runserver's request lines, under `make run`) write
    # through the same handler instead of Django's defaults, which do not scrub. redis-py
    # adds its own unscrubbed stdout handler to "push_response" unless that logger
    # already exists, so it is declared here.
    "loggers": {
        name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
        for name in ("django", "django.server", "push_response")
    },
}

# One process's memory by default (`make run`, tests); deployments with several processes
# point CACHE_URL at Redis (redis://host:6379/1) so that invalidation reaches them all.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Public badge pages, Open Badges documents and baked images are cached this long at most;
# the services drop an assertion's entries at once when it changes.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=600)

# Every URL the server fetches (Badgr imports, hosted badges, their images) goes through
# core.http, which reaches public addresses only, plus these networks (CIDRs, e.g.
# "10.20.0.0/16,fd12::/48": an intranet Badgr server or issuers). Metadata addresses
# stay refused. OUTBOUND_CA_BUNDLE: a CA file for intranet servers (default: certifi).
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.0.0.0/8."
        ) from None
OUTBOUND_CA_BUNDLE = env("OUTBOUND_CA_BUNDLE", default="")
if "BADGE_IMPORT_ALLOW_PRIVATE_NETWORKS" in os.environ:
    raise ImproperlyConfigured(
        "BADGE_IMPORT_ALLOW_PRIVATE_NETWORKS was replaced by OUTBOUND_ALLOWED_NETWORKS: list "
        "the networks the server may fetch from (docs/deployment.md)."
    )

# Open Badges 3.0: the issuers' signing keys are stored encrypted with a key
# derived from this (a random string of 32+ characters). Changing it makes the stored
# keys unusable: keep it with the database backups. Required in production.
CREDENTIALS_ENCRYPTION_KEY = env("CREDENTIALS_ENCRYPTION_KEY", default="")
# The algorithm of the issuers' new VC-JWT keys: RS256 (RSA 2048, what OB 3.0 §8.2
# requires every verifier to accept) or ES256 (P-256). Existing keys keep theirs.
CREDENTIALS_JWT_ALGORITHM = env("CREDENTIALS_JWT_ALGORITHM", default="RS256")
if CREDENTIALS_JWT_ALGORITHM not in ("RS256", "ES256"):
    raise ImproperlyConfigured("CREDENTIALS_JWT_ALGORITHM must be RS256 or ES256.")

# The largest request body read into memory (JSON, or a form's fields without its
# files): an API assignment may carry 10,000 earners with their metadata (about 3 MB);
# more is answered 413 with a message.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# Every stored image (issuer, badge template, imported; see core.uploads): refused above
# this size, this pixel count or this side (decompression bombs), checked before decoding.
BADGE_IMAGE_MAX_BYTES = env.int("BADGE_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
BADGE_IMAGE_MAX_PIXELS = env.int("BADGE_IMAGE_MAX_PIXELS", default=4096 * 4096)
BADGE_IMAGE_MAX_SIDE = env.int("BADGE_IMAGE_MAX_SIDE", default=8192)

# Uploaded spreadsheets (the assign wizard's earner lists, imports of past awards; see
# core/spreadsheets.py): reading one gives up after this many seconds, and an XLSX may
# expand to at most this many bytes (its parts together, as the zip directory says).
SPREADSHEET_READ_SECONDS = env.float("SPREADSHEET_READ_SECONDS", default=5.0)
SPREADSHEET_MAX_EXPANDED_BYTES = env.int("SPREADSHEET_MAX_EXPANDED_BYTES", default=32 * 1024 * 1024)

# Set-password links in account-creation emails stay valid this long, and stop working
# once used (Django's token covers the password hash and last login).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_LINK_TIMEOUT_DAYS", default=7) * 24 * 3600

# Who may create an issuer (docs/security.md, "Trust model"): "closed", only the platform's
# operators (superusers and holders of the issuers.operate_platform permission);
# "approval", anyone signed in may ask and an operator approves or declines; "open",
# anyone signed in creates one (a single-organisation install).
ISSUER_CREATION = env("ISSUER_CREATION", default="closed")
# Credits are granted by operators. An install that wants no metering grants them
# automatically: this many to every new issuer, and/or this many to every issuer each
# calendar month (docs/deployment.md). 0 = none.
CREDITS_INITIAL_GRANT = env.int("CREDITS_INITIAL_GRANT", default=0)
CREDITS_MONTHLY_GRANT = env.int("CREDITS_MONTHLY_GRANT", default=0)
# An invitation to join an issuer can be accepted for this long after its email is sent.
INVITATION_TIMEOUT_DAYS = env.int("INVITATION_TIMEOUT_DAYS", default=7)

# Password guessing (core.throttle): failed logins / password-grant token requests
# allowed in a window (seconds) per account from one client address, and per address
# over all accounts (looser; an account that signed in from that address in the last
# LOGIN_THROTTLE_KNOWN_DAYS is not held back by it) before the endpoint answers 429.
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=10)
LOGIN_THROTTLE_ADDRESS_FAILURES = env.int("LOGIN_THROTTLE_ADDRESS_FAILURES", default=100)
LOGIN_THROTTLE_WINDOW = env.int("LOGIN_THROTTLE_WINDOW", default=300)
LOGIN_THROTTLE_KNOWN_DAYS = env.int("LOGIN_THROTTLE_KNOWN_DAYS", default=30)
LOGIN_THROTTLE_PATHS = ["/admin/login/", "/accounts/login/"]
# The proxies (addresses or networks) in front of the app whose X-Forwarded-For is
# believed for the client's address (docs/deployment.md). Empty: REMOTE_ADDR is the
# client, and the header is ignored (anyone can write it).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Django 6 makes forms' URLField assume https; opt in now (and silence the warning).
FORMS_URLFIELD_ASSUME_HTTPS = True
