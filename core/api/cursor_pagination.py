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


def paginate(queryset, request):
    """Return (items, Link header value or None) for a queryset, newest first. Works on
    model querysets and on `.values()` ones that include "pk"."""
    num = _num(request)
    queryset = queryset.order_by("-pk")
    if num is None:
        return list(queryset), None
    after = request.query_params.get("after")
    before = request.query_params.get("before")
    if after and before:
        raise ValidationError({"before": [_("Give either after or before, not both.")]})
    if before:
        pk = _decode(before, "before")
        page = list(queryset.filter(pk__gt=pk).order_by("pk")[: num + 1])
        has_prev = len(page) > num
        items = list(reversed(page[:num]))
        has_next = True
    else:
        if after:
            queryset = queryset.filter(pk__lt=_decode(after, "after"))
        page = list(queryset[: num + 1])
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
