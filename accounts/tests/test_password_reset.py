"""Forgotten passwords and set-password links: request, email, new password; the same
answer for any address; rate limited; an expired link offers a fresh one."""

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail

from accounts.models import User
from accounts.services import password_reset_confirm, password_reset_request
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError, RateLimitedError
from core.models import EmailKind, OutboundEmail

pytestmark = pytest.mark.django_db


def _ask(client, email, capture, **extra):
    with capture(execute=True):
        return client.post("/accounts/password-reset/", {"email": email}, **extra)


def _link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/set-password/\S+)", message.body)[1]


def test_the_login_page_offers_the_forgotten_password_page(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in page
    assert "Django administration" not in client.get("/accounts/password-reset/").content.decode()


def test_a_forgotten_password_is_replaced_through_the_emailed_link(
    client, django_capture_on_commit_callbacks
):
    # given an earner with a password
    UserFactory(email="ada@example.org")
    # when they ask for a new one
    response = _ask(client, "ADA@example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    # then one email with a link arrives, in HTML and text
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    form_page = client.get(_link(mail.outbox[0]), follow=True)
    assert form_page.context["validlink"]
    body = form_page.content.decode()
    assert "This link works until" in body
    assert "Django administration" not in body
    # when the new password is chosen, it signs them in and lands on their badges
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-Good-passw0rd", "new_password2": "a-Good-passw0rd"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/me/badges"
    assert User.objects.get(email="ada@example.org").check_password("a-Good-passw0rd")


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="ada@example.org")
    known = _ask(client, "ada@example.org", django_capture_on_commit_callbacks)
    unknown = _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # and only the account's address got mail
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert OutboundEmail.objects.get().kind == EmailKind.PASSWORD_RESET


def test_requests_are_rate_limited_per_address_whether_or_not_it_has_an_account(
    client, django_capture_on_commit_callbacks
):
    for address in ("ada@example.org", "nobody@example.org"):
        UserFactory(email="ada@example.org")
        for _ in range(3):
            assert _ask(client, address, django_capture_on_commit_callbacks).status_code == 302
        refused = _ask(client, address, django_capture_on_commit_callbacks)
        assert refused.status_code == 429
        assert "Too many requests" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_requests_are_rate_limited_per_client_address():
    for n in range(20):
        password_reset_request(email=f"p{n}@example.org", client="203.0.113.9")
    with pytest.raises(RateLimitedError):
        password_reset_request(email="p99@example.org", client="203.0.113.9")
    password_reset_request(email="p99@example.org", client="203.0.113.10")


def test_an_expired_set_password_link_offers_a_fresh_one_by_email(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    # given an account made by an award (no password) whose link has expired
    user = User.objects.create_user(email="new@example.org")
    _ask(client, "new@example.org", django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    later = dt.datetime.now() + dt.timedelta(days=8)  # noqa: DTZ005 (the generator's clock)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    page = client.get(link, follow=True)
    assert not page.context["validlink"]
    body = page.content.decode()
    assert "This link does not work any more" in body
    assert 'action="/accounts/password-reset/"' in body
    # when a fresh link is asked for there, it arrives and works
    monkeypatch.undo()
    _ask(client, "new@example.org", django_capture_on_commit_callbacks)
    assert client.get(_link(mail.outbox[-1]), follow=True).context["validlink"]
    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_the_reset_services_refuse_bad_input_with_field_errors():
    with pytest.raises(ApplicationError) as bad_email:
        password_reset_request(email="not an address")
    assert "email" in bad_email.value.field_errors
    with pytest.raises(ApplicationError, match="not valid"):
        password_reset_confirm(uidb64="MQ", token="x-y", new_password1="a", new_password2="a")
    user = UserFactory(email="ada@example.org")
    token = PasswordResetTokenGenerator().make_token(user)
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    with pytest.raises(ApplicationError) as weak:
        password_reset_confirm(uidb64=uid, token=token, new_password1="123", new_password2="123")
    assert "new_password2" in weak.value.field_errors
    password_reset_confirm(
        uidb64=uid, token=token, new_password1="a-Good-passw0rd", new_password2="a-Good-passw0rd"
    )
    assert User.objects.get(pk=user.pk).check_password("a-Good-passw0rd")
