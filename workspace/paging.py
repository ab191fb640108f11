"""Keyset pages of the staff lists: the key of a page's last row travels in the URL as a
signed, opaque token (no database key shows, and a forged token is ignored)."""

import datetime as dt

from django.core import signing
from django.http import QueryDict


def cursor_token(key, *, salt: str) -> str:
    return signing.dumps(key, salt=salt, compress=True)


def cursor_key(request, *, salt: str):
    """The key signed in the request's `after`, or None (first page, or not ours)."""
    token = request.GET.get("after")
    if not token:
        return None
    try:
        return signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None


def page_links(request, names, more_token: str | None) -> dict:
    """The list's own query (its filters `names`) and the links of its pages: next_url
    (when there are more), first_url (when this is not the first page)."""
    query = QueryDict(mutable=True)
    for name in names:
        if request.GET.get(name):
            query[name] = request.GET[name]
    next_url = ""
    if more_token:
        following = query.copy()
        following["after"] = more_token
        next_url = "?" + following.urlencode()
    return {
        "query": query,
        "next_url": next_url,
        "first_url": ("?" + query.urlencode()) if request.GET.get("after") else "",
    }


def time_token(key, *, salt: str) -> str | None:
    """The token of a (datetime, pk) key (the lists ordered newest first), or None."""
    return cursor_token([key[0].isoformat(), key[1]], salt=salt) if key else None


def time_key(request, *, salt: str):
    """The (datetime, pk) key of the request's `after`, or None."""
    key = cursor_key(request, salt=salt)
    try:
        return dt.datetime.fromisoformat(key[0]), int(key[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
