"""`make run`: a developer's machine. SQLite, eager Celery, emails on the console."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, OAUTH2_PROVIDER, env

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is fine only because this module never serves real users.
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CREDENTIALS_ENCRYPTION_KEY = env(
    "CREDENTIALS_ENCRYPTION_KEY", default="local-development-only-credentials-key-not-secret"
)

(BASE_DIR / "var").mkdir(exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # With Celery eager here, an assignment's emails are sent inside its request, each
    # outbox row claimed and marked in a commit of its own: in WAL mode a commit is not
    # a flush of the whole database file (100 emails: about 0.4 s instead of 1-3 s).
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )

# Local OAuth2 clients call back to http://127.0.0.1; production allows https only.
OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER,
    "ALLOWED_REDIRECT_URI_SCHEMES": env.list(
        "OAUTH2_REDIRECT_URI_SCHEMES", default=["http", "https"]
    ),
}

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
