"""accounts.authentication: a plain bearer header is checked by the toolkit's validator
directly; every request gets the answer django-oauth-toolkit's whole path gives."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_application_model
from rest_framework.request import Request

from accounts.authentication import BadgrOAuth2Authentication
from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _token(user, raw, *, expired=False, resource=None, scope="rw:profile"):
    AccessToken.objects.create(
        user=user,
        application=ensure_public_client(get_application_model()),
        token=raw,
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=-1 if expired else 1),
        resource=resource or [],
    )
    return raw


def _answer(header, query="", *, whole_way=False):
    """(user pk, token pk, oauth2_error) the authentication gives a GET with `header`."""
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    request = Request(RequestFactory().get(f"/v2/users/self{query}", **extra))
    authentication = BadgrOAuth2Authentication()
    if whole_way:
        authentication._bearer = lambda request: None
    result = authentication.authenticate(request)
    error = dict(getattr(request, "oauth2_error", None) or {})
    if result is None:
        return None, None, error
    return result[0].pk, result[1].pk, error


def test_every_kind_of_credentials_gets_the_toolkits_answer():
    person = UserFactory()
    good = _token(person, "good-token")
    expired = _token(person, "old-token", expired=True)
    elsewhere = _token(person, "bound-token", resource=["https://elsewhere.example/api"])
    here = _token(person, "here-token", resource=["http://testserver/v2/users/self"])
    asked = [
        (f"Bearer {good}", ""),
        (f"bearer {good}", ""),
        (f"Bearer  {good}", ""),  # two spaces: still the bearer's two words
        (f"\tBearer {good}", ""),
        (f"Bearer {good} more", ""),
        (f"Bearer {expired}", ""),
        ("Bearer unknown", ""),
        (f"Bearer {elsewhere}", ""),
        (f"Bearer {here}", ""),
        ("Basic Zm9vOmJhcg==", ""),
        (None, ""),
        (None, f"?access_token={good}"),
        (f"Bearer {good}", f"?access_token={expired}"),
    ]
    for header, query in asked:
        # When the request is authenticated, and when the toolkit's whole path does it
        answer = _answer(header, query)
        # Then both say the same: who, with which token, or why not
        assert answer == _answer(header, query, whole_way=True), (header, query)
    assert _answer(f"Bearer {good}")[0] == person.pk
    assert _answer(f"Bearer {here}")[0] == person.pk
    assert _answer(f"Bearer {elsewhere}")[0] is None
    assert _answer(f"Bearer {expired}")[2]["error"] == "invalid_token"
