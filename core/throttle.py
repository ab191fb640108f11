"""Slowing down password guessing on the token endpoint and the login pages, without
letting anyone lock someone else out.

Failed password checks (a password grant refused on /o/token, a login form shown again)
are counted in the cache, in fixed windows of LOGIN_THROTTLE_WINDOW seconds:

- per account *and* client address: past LOGIN_THROTTLE_FAILURES, that account is
  refused (429, Retry-After) from that address only, before its password is checked.
  Guessing one account's password is slow from anywhere; the account's owner, signing in
  from their own address, never sees the attacker's count.
- per client address, over every account: past the looser
  LOGIN_THROTTLE_ADDRESS_FAILURES (someone trying many accounts: a password spray), the
  address is refused before the check for the accounts that have not signed in from it
  in the last LOGIN_THROTTLE_KNOWN_DAYS. An account that has (its owner at the same
  office, school or proxy) is still checked as usual, so a correct password keeps
  working. A limit that checked the password first and only refused failures would not
  slow a spray at all: the answer (success, or 429) would tell the attacker as much as
  a plain refusal.

No count is per account alone: that one would let anyone lock any account out
everywhere. A successful check clears its own account-and-address count (never the
address's, or one valid account would let an attacker reset it) and marks the account
as known at that address.

The client address is REMOTE_ADDR, or behind proxies listed in TRUSTED_PROXIES the
address they report in X-Forwarded-For (docs/deployment.md). Without that setting the
header is ignored: anyone could write it, and each request would come "from" anywhere.

With Redis down the throttle fails open: core.cache serves as an empty cache that keeps
nothing, so no count is seen and nobody is refused (a warning is logged). Failing closed
would lock every user and API client out for as long as the cache is away; the password
hasher still makes each guess cost (docs/security.md).
"""

import functools
import hashlib
import ipaddress
import json

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils.translation import gettext as _

TOKEN_PATHS = ("/o/token", "/o/token/")


# --- the client address ---------------------------------------------------------------


@functools.cache
def _networks(entries: tuple[str, ...]):
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {exc}. Give addresses or networks, e.g. 10.0.0.0/8,127.0.0.1."
        ) from None


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def trusted_proxy_networks():
    return _networks(tuple(settings.TRUSTED_PROXIES))


def client_address(request) -> str:
    """The address of whoever sent the request.

    REMOTE_ADDR, unless it is a trusted proxy: then X-Forwarded-For is read from the
    right (each proxy appends the address it was reached from) and the first address that
    is not a trusted proxy is the client's. What lies to the left of it was written by
    the client and is never believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_proxy_networks()
    hop = _address(remote)
    if hop is None or not any(hop in network for network in networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(entry)
        if address is None:
            break  # not an address: this hop cannot be trusted to say more
        hop = address
        if not any(address in network for network in networks):
            break
    return str(hop)


# --- the counts ---------------------------------------------------------------------------


def _kind(request) -> str | None:
    if request.method != "POST":
        return None
    if request.path in TOKEN_PATHS:
        # Only the password grant checks a password; codes, refresh tokens and client
        # secrets are long random strings nobody guesses.
        if request.POST.get("grant_type", "password") != "password":
            return None
        return "token"
    if request.path in settings.LOGIN_THROTTLE_PATHS:
        return "login"
    return None


def _outcome(kind: str, response) -> bool | None:
    """True: the password was right; False: it was wrong; None: not a password check."""
    if kind == "token":
        if response.status_code == 200:
            return True
        return False if response.status_code in (400, 401) else None
    if response.status_code == 302:
        return True
    return False if response.status_code == 200 else None  # the form shown again


def _digest(*parts: str) -> str:
    # Keys hold no email addresses, and any text makes a valid key.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


class _Keys:
    def __init__(self, kind: str, account: str, address: str):
        self.pair = f"throttle:{kind}:pair:{_digest(account, address)}" if account else None
        self.address = f"throttle:{kind}:address:{_digest(address)}"
        self.known = f"throttle:known:{_digest(account, address)}" if account else None


def _count(key: str, window: int) -> None:
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)


class LoginThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        trusted_proxy_networks()  # a wrong TRUSTED_PROXIES stops the start, not a login

    def __call__(self, request):
        kind = _kind(request)
        if kind is None:
            return self.get_response(request)
        window = settings.LOGIN_THROTTLE_WINDOW
        account = (request.POST.get("username") or "").strip().lower()
        keys = _Keys(kind, account, client_address(request))
        counts = cache.get_many([k for k in (keys.pair, keys.address, keys.known) if k])
        if counts.get(keys.pair, 0) >= settings.LOGIN_THROTTLE_FAILURES:
            return _too_many(kind, window)
        if (
            counts.get(keys.address, 0) >= settings.LOGIN_THROTTLE_ADDRESS_FAILURES
            and keys.known not in counts
        ):
            return _too_many(kind, window)
        response = self.get_response(request)
        outcome = _outcome(kind, response)
        if outcome is False:
            _count(keys.address, window)
            if keys.pair:
                _count(keys.pair, window)
        elif outcome is True and account:
            cache.delete(keys.pair)
            cache.set(keys.known, 1, settings.LOGIN_THROTTLE_KNOWN_DAYS * 86400)
        return response


def _too_many(kind: str, window: int) -> HttpResponse:
    message = _("Too many failed attempts. Wait a few minutes and try again.")
    if kind == "token":
        body = json.dumps({"error": "rate_limited", "error_description": message})
        response = HttpResponse(body, status=429, content_type="application/json")
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(window)
    return response


# --- other requests that cost someone an email ------------------------------------------


def rate_limit(scope: str, limits: list[tuple[str, int]], window: int) -> bool:
    """Count one request against each `(key, limit)` of `scope` in a fixed window of
    `window` seconds; False (nothing counted) when one of them is already at its limit.

    For requests that send an email (a password reset link): limited per target address,
    so nobody floods someone's mailbox, and per client address, so nobody sends to many
    addresses. Keys are hashed: no address is kept in the cache."""
    keys = [(f"throttle:{scope}:{_digest(key)}", limit) for key, limit in limits]
    counts = cache.get_many([key for key, _limit in keys])
    if any(counts.get(key, 0) >= limit for key, limit in keys):
        return False
    for key, _limit in keys:
        _count(key, window)
    return True
