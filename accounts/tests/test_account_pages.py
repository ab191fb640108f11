"""The earner's sign-in and settings pages: names, email address, password."""

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import (
    email_change_token,
    user_email_change_confirm,
    user_email_change_request,
)
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def test_earners_sign_in_on_the_site_and_land_in_their_backpack(client):
    UserFactory(email="ada@example.org")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/",
        {"username": "ADA@example.org", "password": "pw-for-tests"},
        follow=True,
    )
    # through the landing that sends issuer staff to their dashboard instead
    assert response.redirect_chain[-1][0] == "/me/badges"
    assert "My badges" in client.get("/me/badges").content.decode()


def test_settings_change_the_name(client):
    user = UserFactory(first_name="Ada")
    client.force_login(user)
    response = client.post(
        "/accounts/settings/", {"form": "profile", "first_name": " Augusta ", "last_name": "King"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Augusta", "King")


def test_a_new_email_address_takes_effect_only_through_the_link_sent_to_it(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://badges.example"
    user = UserFactory(email="ada@example.org")
    client.force_login(user)
    # when the earner asks for a new address
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/settings/",
            {"form": "email", "new_email": "Ada@New.example", "password": "pw-for-tests"},
        )
    assert response.status_code == 302
    # then nothing changed yet, and the new address got a link
    user.refresh_from_db()
    assert user.email == "ada@example.org"
    assert [m.to for m in mail.outbox] == [["ada@new.example"]]
    link = re.search(r"https://badges\.example(\S+)", mail.outbox[0].body).group(1)
    # when the link is followed, the address changes; a second use fails
    assert "ada@new.example" in client.get(link).content.decode()
    user.refresh_from_db()
    assert user.email == "ada@new.example"
    again = client.get(link)
    assert again.status_code == 400
    assert "already used" in again.content.decode()


@pytest.mark.parametrize(
    ("new_email", "password", "error"),
    [
        ("ada@new.example", "wrong", ApplicationError),
        ("not-an-email", "pw-for-tests", ApplicationError),
        ("ada@example.org", "pw-for-tests", ApplicationError),
    ],
)
def test_email_change_requests_that_break_a_rule_are_refused(new_email, password, error):
    user = UserFactory(email="ada@example.org")
    UserFactory(email="taken@example.org")
    with pytest.raises(error):
        user_email_change_request(user=user, new_email=new_email, password=password)
    assert not mail.outbox


def test_a_tampered_link_or_one_for_a_taken_address_changes_nothing():
    user = UserFactory(email="ada@example.org")
    token = email_change_token(user=user, new_email="b@x.org")
    with pytest.raises(ApplicationError, match="not valid"):
        user_email_change_confirm(token=token[:-2] + "xx")
    UserFactory(email="b@x.org")  # someone took it meanwhile
    # then the link is refused like any stale one, without saying the address is taken
    with pytest.raises(ApplicationError, match="already used or is out of date"):
        user_email_change_confirm(token=token)
    assert User.objects.get(pk=user.pk).email == "ada@example.org"


def test_asking_for_a_taken_address_changes_nothing_and_tells_only_its_mailbox(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="ada@example.org")
    UserFactory(email="taken@example.org")
    # when the earner asks to move to an address another account uses
    with django_capture_on_commit_callbacks(execute=True):
        user_email_change_request(user=user, new_email="taken@example.org", password="pw-for-tests")
    # then no link is made, and only that address's mailbox hears of it
    assert [m.to for m in mail.outbox] == [["taken@example.org"]]
    assert "already uses it" in mail.outbox[0].body
    assert "/accounts/email/confirm/" not in mail.outbox[0].body
    assert User.objects.get(pk=user.pk).email == "ada@example.org"


def test_settings_pages_need_a_login(client):
    for path in ("/accounts/settings/", "/accounts/password/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
