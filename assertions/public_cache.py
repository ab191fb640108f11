"""The cache in front of an assertion's public page, JSON document and baked image.

Each entry is stored with the assertion's generation token of when it was rendered;
the services replace the token after every change that commits (update, revoke,
privacy, expiry), which makes all of the assertion's entries stale at once. A reader
takes the token *before* it reads the database, so a render that raced a change carries
the old token and is never served: no stale page survives a revoke, whatever the
timing. A hit reads the token and the entry in one round trip to the cache.

Entries also expire on their own: after `PUBLIC_CACHE_SECONDS` (what no service
announces, such as an issuer renaming itself, shows up within that time), and never
later than the badge's own expiry, when its status turns from valid to expired.
"""

import hashlib
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import quote_etag


@dataclass(frozen=True)
class CachedResponse:
    status: int
    content_type: str
    body: bytes
    headers: dict = field(default_factory=dict)
    private: bool = False  # a 404 only because the earner hid it; its owner may see it
    filename: str = ""  # what a download of this body is called

    def __post_init__(self):
        # Hashed once here, not on every hit: the body of an entry never changes.
        if self.status in (200, 410) and self.body and "ETag" not in self.headers:
            digest = hashlib.md5(self.body, usedforsecurity=False).hexdigest()
            self.headers["ETag"] = quote_etag(digest)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type)
        for name, value in self.headers.items():
            response[name] = value
        return response

    @classmethod
    def of(cls, response: HttpResponse, **kwargs) -> "CachedResponse":
        headers = {k: v for k, v in response.items() if k not in ("Content-Type",)}
        return cls(
            status=response.status_code,
            content_type=response["Content-Type"],
            body=response.content,
            headers=headers,
            **kwargs,
        )


def _generation_key(entity_id: str) -> str:
    return f"public:assertion:{entity_id}:generation"


def generation(entity_id: str) -> str:
    """The current token of an assertion (made on first use)."""
    key = _generation_key(entity_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(8), None)
        token = cache.get(key)
    return token


def entry_key(entity_id: str, variant: str) -> str:
    return f"public:assertion:{entity_id}:{variant}"


def lookup(entity_id: str, variant: str) -> tuple[str, CachedResponse | None]:
    """(token, cached entry or None). Store a fresh render with `store(..., token)`."""
    key, generation_key = entry_key(entity_id, variant), _generation_key(entity_id)
    found = cache.get_many([generation_key, key])
    token = found.get(generation_key) or generation(entity_id)
    stored = found.get(key)
    if stored is None or stored[0] != token:
        return token, None
    return token, stored[1]


def store(entity_id: str, token: str, variant: str, entry: CachedResponse, expires_at=None):
    timeout = settings.PUBLIC_CACHE_SECONDS
    if expires_at is not None:
        left = (expires_at - timezone.now()).total_seconds()
        if left > 0:
            timeout = min(timeout, max(1, int(left) + 1))
    cache.set(entry_key(entity_id, variant), (token, entry), timeout)


def invalidate(*entity_ids: str) -> None:
    if entity_ids:
        cache.set_many({_generation_key(e): secrets.token_hex(8) for e in entity_ids}, None)


def invalidate_on_commit(*entity_ids: str) -> None:
    """Forget the assertions' cached pages once the change is committed (at once when
    no transaction is open)."""
    transaction.on_commit(lambda: invalidate(*entity_ids))


# The issuer's revocation list: one key, dropped when one of its badges is revoked.


def revocations_key(issuer_pk: int) -> str:
    return f"public:issuer:{issuer_pk}:revocations"


def invalidate_revocations_on_commit(issuer_pk: int) -> None:
    transaction.on_commit(lambda: cache.delete(revocations_key(issuer_pk)))
