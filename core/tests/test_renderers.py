"""core.api.renderers.JSONRenderer: DRF's JSON, byte for byte, written by orjson."""

import datetime as dt
import decimal
import uuid

from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from core.api.renderers import JSONRenderer

DATA = {
    "text": 'Zoë 日本 "quoted" \\ \n tab\t',
    "separators": "line\u2028paragraph\u2029end",
    "numbers": [0, -1, 2**53, 1.5, True, False, None],
    "utc": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
    "zoned": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "day": dt.date(2026, 1, 2),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID(int=7),
    "lazy": gettext_lazy("Badge not found."),
    "error": [ErrorDetail("This field is required.", code="required")],
    "nested": {"tuple": (1, "a"), "set": {3}, 5: "a number as key"},
}


def test_the_same_bytes_as_drf_writes():
    assert JSONRenderer().render(DATA) == renderers.JSONRenderer().render(DATA)


def test_an_indented_answer_is_drfs_own():
    media = "application/json; indent=2"
    expected = renderers.JSONRenderer().render(DATA, media)
    assert JSONRenderer().render(DATA, media) == expected
    assert b"\n  " in expected


def test_nothing_is_nothing():
    assert JSONRenderer().render(None) == b""


def test_an_integer_beyond_64_bits_is_written_as_drf_writes_it():
    # orjson refuses it; data stored before core.api.parsers refused such numbers may
    # hold one, and its answer must not be a 500
    data = {**DATA, "numbers": [2**64, -(2**63) - 1, 10**30]}
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)
