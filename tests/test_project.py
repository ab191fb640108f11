"""The project as a user meets it: pages served, demo data, production settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from assertions import demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_admin_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
def test_api_docs_and_a_valid_schema_are_served(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)
    swagger = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert swagger.status_code == 200


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_a_working_login(settings, capsys):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8123"  # make run's PORT=8123
    call_command("seed_demo")
    counts = _demo_counts()
    call_command("seed_demo")
    assert _demo_counts() == counts
    assert counts["issuers"] == 1
    assert counts["templates"] >= 2
    assert counts["earners"] >= 3
    assert {"valid", "invalid", "revoked"} <= counts["statuses"]
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/accounts/login/" in out
    assert ":8000" not in out
    assert out.count(demo.ADMIN.email) == 2
    assert demo.ADMIN.password in out
    assert User.objects.filter(email=demo.ADMIN.email).count() == 1
    assert User.objects.get(email=demo.ADMIN.email).check_password(demo.ADMIN.password)


def _demo_counts():
    from assertions.models import Assertion
    from earners.models import Earner
    from issuers.models import Issuer
    from templates_app.models import BadgeTemplateVersion

    return {
        "issuers": Issuer.objects.count(),
        "templates": BadgeTemplateVersion.objects.count(),
        "earners": Earner.objects.count(),
        "badges": Assertion.objects.count(),
        "statuses": set(Assertion.objects.values_list("status", flat=True)),
        "balance": list(Issuer.objects.values_list("credit_balance", flat=True)),
    }


@pytest.mark.django_db
def test_seed_demo_restores_a_changed_demo_password(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = User.objects.get(email=demo.ADMIN.email)
    user.set_password("something-else")
    user.save()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user.refresh_from_db()
    assert user.check_password(demo.ADMIN.password)


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()


def _manage(*args, env_overrides):
    # A clean environment: only what a deployment would set, none of the test run's
    # variables (DATABASE_URL, DJANGO_ALLOW_ASYNC_UNSAFE, ...).
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "SECRET_KEY": "p" * 20 + "-Q9w8e7r6t5y4u3i2o1pAsDfGhJkLzXcVbNm",
    "CREDENTIALS_ENCRYPTION_KEY": "c" * 20 + "-Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2",
    "ALLOWED_HOSTS": "badges.example.org",
    "DATABASE_URL": "postgres://badges:secret@127.0.0.1:5432/badges",
    "SITE_URL": "https://badges.example.org",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--settings=badges_project.settings.production",
        env_overrides=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing_or_bad", "message"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "Production needs PostgreSQL"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
        ({"CREDENTIALS_ENCRYPTION_KEY": None}, "CREDENTIALS_ENCRYPTION_KEY"),
        ({"CREDENTIALS_ENCRYPTION_KEY": "too-short"}, "at least 32 characters"),
    ],
)
def test_production_settings_refuse_to_start_without_what_they_need(missing_or_bad, message):
    env = {**PRODUCTION_ENV, **missing_or_bad}
    env = {k: v for k, v in env.items() if v is not None}
    result = _manage("check", "--settings=badges_project.settings.production", env_overrides=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_openapi_schema_is_valid_and_warning_free(tmp_path):
    # --fail-on-warn turns any undocumented field, auth or response into a failure
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/v2/issuers:",
        "/v2/badgeclasses/{entity_id}/assertions:",
        "/v2/assertions/revoke:",
    ):
        assert path in text
    assert "rw:issuer" in text


def _production_settings(extra_env: dict) -> dict:
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "print(json.dumps({'storage': s.STORAGES['default']['BACKEND'], "
        "'cache': s.CACHES['default']['BACKEND'], 'db': s.DATABASES['default'], "
        "'routers': getattr(s, 'DATABASE_ROUTERS', []), 'middleware': s.MIDDLEWARE, "
        "'formatter': s.LOGGING['handlers']['console']['formatter'], "
        "'private': s.STORAGES['private']}, default=str))"
    )
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="badges_project.settings.production")
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_defaults_filesystem_media_redis_cache_json_logs_csp():
    got = _production_settings({})
    assert got["storage"] == "django.core.files.storage.FileSystemStorage"
    assert got["cache"] == "core.cache.RedisCache"
    assert got["db"]["CONN_MAX_AGE"] == 60
    assert got["formatter"] == "json"
    assert "csp.middleware.CSPMiddleware" in got["middleware"]
    # values bound apart from the SQL, statements sent often prepared
    assert got["db"]["OPTIONS"]["server_side_binding"] is True
    assert got["db"]["OPTIONS"]["prepare_threshold"] == 5


def test_prepared_statements_can_be_turned_off_for_a_pooler_in_transaction_mode():
    options = _production_settings({"DB_PREPARED_STATEMENTS": "false"})["db"].get("OPTIONS", {})
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_production_uses_object_storage_a_pool_and_a_replica_when_configured():
    got = _production_settings(
        {
            "AWS_STORAGE_BUCKET_NAME": "badges",
            "DB_POOL": "true",
            "DATABASE_REPLICA_URL": "postgres://badges:secret@replica.internal:5432/badges",
        }
    )
    assert got["storage"] == "storages.backends.s3.S3Storage"
    assert got["db"]["CONN_MAX_AGE"] == 0
    assert "pool" in got["db"]["OPTIONS"]
    assert got["routers"] == ["core.db_router.ReplicaRouter"]


@pytest.mark.django_db
def test_every_page_names_a_favicon_that_is_served(client):
    home = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in home
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
