"""A new password ends the person's OAuth tokens, as it ends their other sessions:
whoever had the old password may have had a token too."""

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model
from rest_framework.test import APIClient

from accounts.oauth import ensure_public_client
from accounts.services import password_reset_confirm
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW = "a-Fresh-passw0rd"


def _tokens(user) -> dict:
    ensure_public_client(get_application_model())
    answer = APIClient().post(
        "/o/token", {"username": user.email, "password": "pw-for-tests"}, format="multipart"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _works(access: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/v2/users/self").status_code == 200


def _refreshes(refresh: str) -> bool:
    answer = APIClient().post(
        "/o/token", {"grant_type": "refresh_token", "refresh_token": refresh}, format="multipart"
    )
    return answer.status_code == 200


def _reset(user):
    password_reset_confirm(
        uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
        token=PasswordResetTokenGenerator().make_token(user),
        new_password1=NEW,
        new_password2=NEW,
    )


def _change_on_the_page(user):
    client = APIClient()
    client.force_login(user)
    answer = client.post(
        "/accounts/password/",
        {"old_password": "pw-for-tests", "new_password1": NEW, "new_password2": NEW},
    )
    assert answer.status_code == 302


@pytest.mark.parametrize("change", [_reset, _change_on_the_page])
def test_a_new_password_ends_every_token_of_the_person_and_no_one_elses(change):
    # Given a person and someone else, each with an access and a refresh token
    person, other = UserFactory(), UserFactory()
    mine, theirs = _tokens(person), _tokens(other)
    assert _works(mine["access_token"])
    # When the person's password is reset or changed
    change(person)
    # Then neither of the person's tokens works any more; the other's still do
    assert not _works(mine["access_token"])
    assert not _refreshes(mine["refresh_token"])
    assert not AccessToken.objects.filter(user=person).exists()
    assert not RefreshToken.objects.filter(user=person, revoked__isnull=True).exists()
    assert _works(theirs["access_token"])
    assert _refreshes(theirs["refresh_token"])


def test_a_save_that_keeps_the_password_keeps_the_tokens():
    person = UserFactory()
    tokens = _tokens(person)
    person.first_name = "Ada"
    person.save()
    assert _works(tokens["access_token"])
