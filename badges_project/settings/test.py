"""pytest. SQLite unless DATABASE_URL is set; `make test` sets it to a private PostgreSQL."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105
CREDENTIALS_ENCRYPTION_KEY = "test-only-credentials-encryption-key-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Hashing at full strength makes every login in the suite slow and proves nothing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run inline unless a test starts a real worker (see tests/test_services.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)

# Serve static files from the app directories, as runserver does, with no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A second alias as production has with DATABASE_REPLICA_URL, mirroring the test database
# (its own connection): tests that install core.db_router.ReplicaRouter see which reads
# go where. Unused otherwise (no router).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
