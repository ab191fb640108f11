"""core.log_scrub.scrub, case by case: every credential goes, the rest of the line stays."""

import pytest

from core.log_scrub import scrub

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
