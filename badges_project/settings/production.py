"""Production. Everything that matters is required from the environment.

docs/deployment.md explains each part; README.md lists every variable.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, MIDDLEWARE, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Encrypts the issuers' signing keys at rest (docs/open-badges-3.md); never a default here.
CREDENTIALS_ENCRYPTION_KEY = env("CREDENTIALS_ENCRYPTION_KEY")
if len(CREDENTIALS_ENCRYPTION_KEY) < 32:
    raise ImproperlyConfigured("CREDENTIALS_ENCRYPTION_KEY must be at least 32 characters.")

# --- database: PostgreSQL, persistent connections or psycopg's pool -----------------
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs PostgreSQL: set DATABASE_URL=postgres://...")
if env.bool("DB_POOL", default=False):
    # psycopg's connection pool (Django 5.1+); persistent connections must be off with it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=10),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env("DATABASE_REPLICA_URL", default=""):
    # Public pages, documents, exports and statistics read from the replica
    # (REPLICA_READ_PATHS, core.db_router); everything else uses the primary.
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"][_key] = DATABASES["default"][_key]
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]

# --- cache: Redis, shared by every web process -----------------------------------------
CACHES = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default=CELERY_BROKER_URL),
        "KEY_PREFIX": "badges",
        "TIMEOUT": 300,
        # Redis unreachable: give up quickly and serve without the cache (core/cache.py).
        "OPTIONS": {
            "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "socket_timeout": env.float("REDIS_TIMEOUT", default=1.0),
        },
    }
}

# --- files: S3-compatible object storage when a bucket is named, else the filesystem ----
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # PRIVATE_MEDIA_ROOT: queued rows, import documents, wizard drafts (core.storage).
    "private": {"BACKEND": "core.storage.PrivateFileSystemStorage"},
    # Hashed, compressed names: far-future caching is safe because a change renames the file.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    SERVE_MEDIA = False
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)  # MinIO, R2, Scaleway...
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)  # a CDN in front
    AWS_QUERYSTRING_AUTH = False  # badge images are public
    # None: the bucket policy decides (make it public-read for badge images).
    AWS_DEFAULT_ACL = env("AWS_DEFAULT_ACL", default=None)
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}
# The private files go to a bucket of their own when one is named, else (with a public
# bucket) under a prefix of that bucket that its policy must not make public: every
# object private, no CDN domain, a signed URL should one ever be asked for.
AWS_PRIVATE_STORAGE_BUCKET_NAME = env(
    "AWS_PRIVATE_STORAGE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME
)
if AWS_PRIVATE_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_PRIVATE_STORAGE_BUCKET_NAME,
            "location": env("AWS_PRIVATE_LOCATION", default="private"),
            "default_acl": "private",
            "querystring_auth": True,
            "custom_domain": None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }

# --- HTTPS and browser security ---------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer's health checks come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin and Swagger UI set style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https:"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- logs: one JSON object per line on stdout -----------------------------------------
LOGGING = {
    **LOGGING,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["scrub_secrets"],
        }
    },
}

# Celery workers and beat log through the handler above (JSON lines) instead of setting up
# their own text handlers (badges_project/celery.py).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- error reporting: Sentry when a DSN is given --------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    from core.log_scrub import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        # No token in a report either (`?access_token=` in its URL, a log line as a
        # breadcrumb): as in the logs (core/log_scrub.py).
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
