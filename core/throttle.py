"""Slowing down password guessing on the token endpoint and the login pages.

Failed attempts are counted per client IP and per username in the cache, in a fixed
window; past the limit the endpoint answers 429 with Retry-After until the window
ends. A successful login clears its username's count (not the IP's, or one valid
account would let an attacker reset the counter).
"""

import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

TOKEN_PATHS = ("/o/token", "/o/token/")


def _kind(request) -> str | None:
    if request.method != "POST":
        return None
    if request.path in TOKEN_PATHS:
        return "token"
    if request.path in settings.LOGIN_THROTTLE_PATHS:
        return "login"
    return None


def _failed(kind: str, request, response) -> bool:
    if kind == "token":
        return (
            response.status_code in (400, 401)
            and request.POST.get("grant_type", "password") == "password"
        )
    return response.status_code == 200  # a login form shown again is a failed login


class LoginThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kind = _kind(request)
        if kind is None:
            return self.get_response(request)
        limit, window = settings.LOGIN_THROTTLE_FAILURES, settings.LOGIN_THROTTLE_WINDOW
        username = (request.POST.get("username") or "").strip().lower()
        keys = [f"throttle:{kind}:ip:{request.META.get('REMOTE_ADDR', '')}"]
        if username:
            keys.append(f"throttle:{kind}:user:{username}")
        counts = cache.get_many(keys)
        if any(count >= limit for count in counts.values()):
            return _too_many(kind, window)
        response = self.get_response(request)
        if _failed(kind, request, response):
            for key in keys:
                cache.add(key, 0, window)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, window)
        elif username and response.status_code in (200, 302):
            cache.delete(keys[-1])
        return response


def _too_many(kind: str, window: int) -> HttpResponse:
    message = "Too many failed attempts. Wait a few minutes and try again."
    if kind == "token":
        body = json.dumps({"error": "rate_limited", "error_description": message})
        response = HttpResponse(body, status=429, content_type="application/json")
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(window)
    return response
