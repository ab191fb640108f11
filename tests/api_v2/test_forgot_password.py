"""POST/PUT /v2/auth/forgot-password: Badgr's account recovery over the API, on the
account pages' services (issue 22): anonymous, the same answer for any address, rate
limited, the emailed token good once and only until it expires, the password rules."""

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.models import OutboundEmail

pytestmark = pytest.mark.django_db
URL = "/v2/auth/forgot-password"
OLD = "the-0ld-Passw0rd"
NEW = "a-Fresh-passw0rd"


def _ask(capture, email, **extra):
    with capture(execute=True):
        return APIClient().post(URL, {"email": email}, format="json", **extra)


def _link_parts(message) -> tuple[str, str, str]:
    """The emailed link, and its uidb64 and token."""
    found = re.search(r"(http://\S+/accounts/set-password/([^/\s]+)/([^/\s]+)/)", message.body)
    return found[1], found[2], found[3]


def _reset(token, password=NEW):
    return APIClient().put(URL, {"token": token, "password": password}, format="json")


@pytest.mark.parametrize("form", ["badgr", "slash", "link"])
def test_an_anonymous_client_recovers_an_account_with_the_emailed_token(
    django_capture_on_commit_callbacks, form
):
    # Given an account with a password
    user = UserFactory(email="ada@example.org", password=OLD)
    # When a client with no (or a stale) token asks for a recovery email
    response = _ask(
        django_capture_on_commit_callbacks, "ADA@example.org", HTTP_AUTHORIZATION="Bearer stale"
    )
    # Then it gets Badgr's empty success and the account's address gets the link
    assert response.status_code == 200
    assert response.json() == {"status": {"success": True, "description": "ok"}, "result": [{}]}
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    link, uidb64, token = _link_parts(mail.outbox[0])
    sent = {"badgr": f"{uidb64}-{token}", "slash": f"{uidb64}/{token}", "link": link}[form]
    # When the new password is sent with the token
    response = _reset(sent)
    # Then it is set, and the token does not work a second time
    assert response.status_code == 200, response.content
    assert response.json()["result"] == [{}]
    user.refresh_from_db()
    assert user.check_password(NEW)
    again = _reset(sent, "an-Other-passw0rd")
    assert again.status_code == 404
    assert again.json()["fieldErrors"] == {"token": [again.json()["status"]["description"]]}
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    django_capture_on_commit_callbacks,
):
    # Given one address with an account and one without
    UserFactory(email="ada@example.org")
    # When both ask
    known = _ask(django_capture_on_commit_callbacks, "ada@example.org")
    unknown = _ask(django_capture_on_commit_callbacks, "nobody@example.org")
    # Then the answers are the same, byte for byte, and only the account got mail
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert OutboundEmail.objects.count() == 1


def test_requests_are_rate_limited_alike_whether_or_not_the_address_has_an_account(
    django_capture_on_commit_callbacks,
):
    # Given an address with an account and one without
    UserFactory(email="ada@example.org")
    refusals = []
    for address in ("ada@example.org", "nobody@example.org"):
        # When each asks three times, then a fourth
        for _ in range(3):
            assert _ask(django_capture_on_commit_callbacks, address).status_code == 200
        refusals.append(_ask(django_capture_on_commit_callbacks, address))
    # Then the fourth is 429 with when to retry, the same for both, and only three mails went
    known, unknown = refusals
    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"] == "3600"
    assert known.content == unknown.content
    assert known.json()["status"]["success"] is False
    assert "Too many requests" in known.json()["status"]["description"]
    assert len(mail.outbox) == 3


def test_requests_are_rate_limited_per_client_address(django_capture_on_commit_callbacks):
    # Given a client that asked for twenty different addresses
    for n in range(20):
        assert _ask(django_capture_on_commit_callbacks, f"p{n}@example.org").status_code == 200
    # When it asks for one more, then another client does
    again = _ask(django_capture_on_commit_callbacks, "p99@example.org")
    elsewhere = _ask(django_capture_on_commit_callbacks, "p99@example.org", REMOTE_ADDR="10.9.9.9")
    # Then only the first client is held back
    assert (again.status_code, elsewhere.status_code) == (429, 200)


def test_the_email_is_in_the_language_the_client_asks_for(django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.org", language="")
    _ask(django_capture_on_commit_callbacks, "ada@example.org", HTTP_ACCEPT_LANGUAGE="it")
    assert mail.outbox[0].subject == "Scegli una nuova password"


@pytest.mark.parametrize(
    ("email", "problem"),
    [(None, "This field is required."), ("not an address", "Enter a valid email address.")],
)
def test_a_request_without_an_address_is_a_field_error(
    django_capture_on_commit_callbacks, email, problem
):
    body = {} if email is None else {"email": email}
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["fieldErrors"] == {"email": [problem]}
    assert response.json()["result"] == []
    assert mail.outbox == []


@pytest.fixture
def emailed(django_capture_on_commit_callbacks):
    """An account with a password, and the token of the recovery email it was sent."""
    user = UserFactory(email="ada@example.org", password=OLD)
    _ask(django_capture_on_commit_callbacks, "ada@example.org")
    _link, uidb64, token = _link_parts(mail.outbox[0])
    return user, uidb64, token


def test_a_weak_password_is_a_field_error_and_the_token_still_works(emailed):
    user, uidb64, token = emailed
    # When the new password is one the password rules refuse
    response = _reset(f"{uidb64}-{token}", "123")
    # Then the envelope says why, on `password`, and nothing changed
    assert response.status_code == 400
    body = response.json()
    assert body["status"]["success"] is False
    assert list(body["fieldErrors"]) == ["password"]
    assert any("too short" in problem for problem in body["fieldErrors"]["password"])
    user.refresh_from_db()
    assert user.check_password(OLD)
    # And a good password with the same token then works
    assert _reset(f"{uidb64}-{token}").status_code == 200


def test_an_expired_token_is_refused(emailed, monkeypatch):
    user, uidb64, token = emailed
    later = dt.datetime.now() + dt.timedelta(days=8)  # noqa: DTZ005 (the generator's clock)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    response = _reset(f"{uidb64}-{token}")
    assert response.status_code == 404
    assert "expired" in response.json()["status"]["description"]
    user.refresh_from_db()
    assert user.check_password(OLD)


def test_made_up_tokens_and_another_accounts_token_are_refused(emailed):
    user, uidb64, token = emailed
    other = UserFactory(email="eve@example.org", password=OLD)
    other_uid = urlsafe_base64_encode(force_bytes(other.pk))
    for sent, status in [
        (f"{other_uid}-{token}", 404),  # Ada's token for Eve's account
        (f"{uidb64}-{token[:-1]}x", 404),
        ("MQ-abc-def", 404),
        ("no-dash", 400),
        ("/", 400),
        ("", 400),
    ]:
        response = _reset(sent)
        assert response.status_code == status, (sent, response.content)
        assert list(response.json()["fieldErrors"]) == ["token"], sent
    for account in (user, other):
        account.refresh_from_db()
        assert account.check_password(OLD)
    assert User.objects.filter(email="ada@example.org").count() == 1


def test_both_operations_are_described_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"][URL]
    post, put = operations["post"], operations["put"]
    assert post["security"] == put["security"] == [{}]  # no token needed
    assert {"200", "400", "429"} <= set(post["responses"])
    assert {"200", "400", "404"} <= set(put["responses"])
    assert not {"401", "403"} & (set(post["responses"]) | set(put["responses"]))
    schemas = schema["components"]["schemas"]
    assert set(schemas["ForgotPasswordRequest"]["properties"]) == {"email"}
    assert set(schemas["ForgotPasswordResetRequest"]["properties"]) == {"token", "password"}
