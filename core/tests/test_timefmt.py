import datetime as dt

import pytest

from core.timefmt import format_iso_z, format_v1, get_zone, is_valid_zone, parse_datetime

ROME = "Europe/Rome"
MOMENT = dt.datetime(2024, 7, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


def test_iso_z_is_utc_with_z_and_whole_seconds():
    rome = MOMENT.astimezone(get_zone(ROME))
    assert format_iso_z(rome) == "2024-07-01T08:30:15Z"
    assert format_iso_z(None) is None


def test_v1_format_in_utc_and_in_the_issuers_zone():
    assert format_v1(MOMENT) == "2024-07-01 08:30:15"
    assert format_v1(MOMENT, ROME) == "2024-07-01 10:30:15"  # CEST, UTC+2
    winter = dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC)
    assert format_v1(winter, ROME) == "2024-01-01 09:00:00"  # CET, UTC+1
    assert format_v1(None, ROME) is None


def test_formatting_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        format_iso_z(dt.datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        format_v1(dt.datetime(2024, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    "text",
    [
        "2024-07-01 10:30:15",  # the /api/v1 format, read in the issuer's zone
        "2024-07-01T10:30:15",
        "2024-07-01T08:30:15Z",
        "2024-07-01 08:30:15Z",  # Badgr clients send this
        "2024-07-01T08:30:15+00:00",
        "2024-07-01T04:30:15-04:00",
        "2024-07-01T08:30:15.000Z",
    ],
)
def test_parse_accepts_both_apis_formats(text):
    assert parse_datetime(text, ROME) == dt.datetime(2024, 7, 1, 8, 30, 15, tzinfo=dt.UTC)


def test_parse_without_offset_defaults_to_utc():
    assert parse_datetime("2024-07-01 08:30:15") == dt.datetime(
        2024, 7, 1, 8, 30, 15, tzinfo=dt.UTC
    )


def test_parse_bare_date_is_midnight_in_zone():
    assert parse_datetime("2024-07-01", ROME) == dt.datetime(2024, 6, 30, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "bad", ["", "   ", "yesterday", "2024-13-01 00:00:00", "01/07/2024", None, 5]
)
def test_parse_rejects_what_is_not_a_timestamp_with_a_message(bad):
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime(bad, ROME)


def test_unknown_zone_is_named_in_the_error():
    assert is_valid_zone(ROME)
    assert not is_valid_zone("Mars/Olympus")
    assert not is_valid_zone("")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        format_v1(MOMENT, "Mars/Olympus")
