"""core.log_scrub.scrub, case by case: every credential goes, the rest of the line stays."""

import pytest

from core.log_scrub import scrub, scrub_event

CASES = [
    (
        '"GET /v2/users/self?access_token=abc.DEF-123 HTTP/1.1" 401',
        '"GET /v2/users/self?access_token=[scrubbed] HTTP/1.1" 401',
    ),
    (
        "/o/authorize?client_id=public&code=xyz&state=s1",
        "/o/authorize?client_id=public&code=[scrubbed]&state=s1",
    ),
    ("/x?ACCESS_TOKEN=zzz;refresh_token=r1", "/x?ACCESS_TOKEN=[scrubbed];refresh_token=[scrubbed]"),
    (
        "username=ann&password=hunter2&grant_type=password",
        "username=ann&password=[scrubbed]&grant_type=password",
    ),
    ("client_secret=s2&client_id=c", "client_secret=[scrubbed]&client_id=c"),
    # a URL inside a parameter, percent-encoded (a login page's `next`)
    (
        "/admin/login/?next=/v2/x%3Faccess_token%3DSECRET%26a%3D1",
        "/admin/login/?next=/v2/x%3Faccess_token%3D[scrubbed]%26a%3D1",
    ),
    ("<WSGIRequest: GET '/v2/x?token=t1'>", "<WSGIRequest: GET '/v2/x?token=[scrubbed]'>"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [scrubbed]"),
    ("{'HTTP_AUTHORIZATION': 'Basic dXNlcjpwYXNz'}", "{'HTTP_AUTHORIZATION': 'Basic [scrubbed]'}"),
    # the tokens of set-password and email-confirmation links (settings.LOG_SECRET_PATHS)
    ("/accounts/set-password/MQ/c5x-abc123/", "/accounts/set-password/MQ/[scrubbed]/"),
    ("/accounts/email/confirm/tok123/", "/accounts/email/confirm/[scrubbed]/"),
    # what only looks alike stays
    ("/accounts/set-password/done/", None),
    ("mytoken=keep&other_code=keep&tokens=keep", None),
    ("/v2/badgeclasses?issuer=abc&num=20", None),
    ("", None),
]


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_scrub(line, expected):
    assert scrub(line) == (line if expected is None else expected)


def test_an_error_report_for_sentry_is_scrubbed_throughout():
    # given a report as Sentry's Django integration builds it
    event = {
        "request": {
            "url": "https://badges.example/v2/users/self",
            "query_string": "access_token=t1&num=5",
            "headers": {"Authorization": "Bearer t2"},
        },
        "breadcrumbs": {"values": [{"message": "GET /o/token?password=t3", "level": "info"}]},
        "exception": {"values": [{"value": "could not read ?refresh_token=t4"}]},
        "level": "error",
        "timestamp": 1.5,
    }
    # when it is about to be sent
    sent = scrub_event(event, hint={})
    # then no token is in it, and the rest is as it was
    text = repr(sent)
    for token in ("t1", "t2", "t3", "t4"):
        assert f"={token}" not in text
        assert f" {token}'" not in text
    assert sent["request"]["query_string"] == "access_token=[scrubbed]&num=5"
    assert sent["level"] == "error"
    assert sent["timestamp"] == 1.5
