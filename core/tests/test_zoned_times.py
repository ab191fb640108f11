"""One rule for showing a time on a page (issue 20): the issuer's zone, always labelled,
with the UTC instant for machines."""

import datetime as dt

from django.template import Context, Template

from core.templatetags.zoned_times import zoned_text

SUMMER = dt.datetime(2028, 6, 30, 21, 59, 59, tzinfo=dt.UTC)


def test_a_time_is_shown_in_the_zone_and_labelled_with_it():
    assert zoned_text(SUMMER, "Europe/Rome") == "30 Jun 2028 23:59 (Europe/Rome)"
    assert zoned_text(SUMMER, "America/New_York") == "30 Jun 2028 17:59 (America/New_York)"
    assert zoned_text(SUMMER, "Europe/Rome", with_time=False) == "30 Jun 2028 (Europe/Rome)"


def test_winter_time_and_an_unknown_zone_and_no_value():
    winter = dt.datetime(2028, 1, 10, 12, 0, tzinfo=dt.UTC)
    assert zoned_text(winter, "Europe/Rome") == "10 Jan 2028 13:00 (Europe/Rome)"
    assert zoned_text(winter, "Mars/Olympus") == "10 Jan 2028 12:00 (UTC)"
    assert zoned_text(winter, "") == "10 Jan 2028 12:00 (UTC)"
    assert zoned_text(None, "Europe/Rome") == ""


def test_the_filter_marks_the_utc_instant_up_for_machines():
    html = Template("{% load zoned_times %}{{ when|zoned:zone }}").render(
        Context({"when": SUMMER, "zone": "Europe/Rome"})
    )
    assert html == '<time datetime="2028-06-30T21:59:59Z">30 Jun 2028 23:59 (Europe/Rome)</time>'
