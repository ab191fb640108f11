"""Badgr's list pagination: `?num=N`, then `after` / `before` cursors in a Link header.

Without `num` the whole list comes back (Badgr clients rely on that). Cursors are
opaque to clients: url-safe base64 of the last/first primary key seen, newest first.
"""

import base64
import binascii

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_NUM = 1000


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def _decode(cursor: str, name: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError(
            {name: [_("This cursor is not valid; use the one from the Link header.")]}
        ) from None


def _num(request) -> int | None:
    raw = request.query_params.get("num")
    if raw in (None, ""):
        return None
    try:
        num = int(raw)
    except ValueError:
        num = 0
    if not 1 <= num <= MAX_NUM:
        raise ValidationError(
            {"num": [_("Give a whole number from 1 to %(max)s.") % {"max": MAX_NUM}]}
        )
    return num


def _pk(item) -> int:
    return item["pk"] if isinstance(item, dict) else item.pk


def ordered_beyond(queryset, newest_first: bool, beyond: int | None):
    """`queryset` in the order `paginate` asks a `fetch` for, past the key `beyond`
    (older than it newest first, newer oldest first) when it is not None."""
    queryset = queryset.order_by("-pk" if newest_first else "pk")
    if beyond is None:
        return queryset
    return queryset.filter(pk__lt=beyond) if newest_first else queryset.filter(pk__gt=beyond)


def queryset_pages(queryset):
    """`paginate`'s `fetch` for a queryset (of models, or `.values()` including "pk")."""

    def fetch(newest_first: bool, beyond: int | None, limit: int | None) -> list:
        page = ordered_beyond(queryset, newest_first, beyond)
        return list(page if limit is None else page[:limit])

    return fetch


def paginate(fetch, request):
    """Return (items, Link header value or None) for a list, newest first.

    `fetch(newest_first, beyond, limit)` reads the list's rows (models or dicts with a
    "pk") newest first or oldest first, only those beyond the primary key `beyond`
    (older than it, newest first; newer, oldest first) when it is not None, at most
    `limit` when it is not None (`queryset_pages` reads a queryset so)."""
    num = _num(request)
    if num is None:
        return fetch(True, None, None), None
    after = request.query_params.get("after")
    before = request.query_params.get("before")
    if after and before:
        raise ValidationError({"before": [_("Give either after or before, not both.")]})
    if before:
        page = fetch(False, _decode(before, "before"), num + 1)
        has_prev = len(page) > num
        items = list(reversed(page[:num]))
        has_next = True
    else:
        page = fetch(True, _decode(after, "after") if after else None, num + 1)
        has_next = len(page) > num
        items = page[:num]
        has_prev = bool(after)

    base = remove_query_param(remove_query_param(request.build_absolute_uri(), "after"), "before")
    links = []
    if items and has_next:
        links.append(f'<{replace_query_param(base, "after", _encode(_pk(items[-1])))}>; rel="next"')
    if items and has_prev:
        links.append(f'<{replace_query_param(base, "before", _encode(_pk(items[0])))}>; rel="prev"')
    return items, ", ".join(links) or None
