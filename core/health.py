"""`/healthz` (the process answers) and `/readyz` (its dependencies answer).

Both are unauthenticated, cheap, and never cached, for load balancers and
orchestrators. `/readyz` names what is failing, with 503.
"""

import time

from celery import current_app
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    if hasattr(cache, "ping"):
        # core.cache.RedisCache serves without Redis rather than fail (core/cache.py):
        # ask Redis itself whether it answers.
        cache.ping()
        return
    cache.set("readyz", "1", 10)
    if cache.get("readyz") != "1":
        raise RuntimeError("the cache did not return what was stored")


def _broker() -> None:
    app = current_app  # the project's (badges_project.celery), which core does not import
    if app.conf.task_always_eager:
        return  # no broker is used
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=2)


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
def readyz(request):
    results, failing = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means not ready; say which and why
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            failing.append(name)
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    status = 503 if failing else 200
    return JsonResponse(
        {"status": "ok" if not failing else "failing", "failing": failing, "checks": results},
        status=status,
    )


PROBES = {"/healthz": healthz, "/readyz": readyz}


class ProbesMiddleware:
    """Answers /healthz and /readyz before anything reads the Host header: a load
    balancer or orchestrator probes by address (`Host: 10.0.3.7:8000`), which
    ALLOWED_HOSTS rightly does not list, over plain HTTP. Nothing in these two answers
    depends on the host. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
