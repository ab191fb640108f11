"""The token endpoint as Badgr clients use it, and how tokens are accepted."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from oauth2_provider.models import get_application_model

from accounts.tests.factories import UserFactory
from tests.api_v2.conftest import make_token

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests"


@pytest.fixture
def person():
    return UserFactory(email="ann@example.org")


@pytest.mark.parametrize("path", ["/o/token", "/o/token/"])
def test_password_grant_without_client_id_or_grant_type_uses_the_public_client(
    client, person, path
):
    # as Open edX sends it: only username and password
    response = client.post(path, {"username": "ANN@example.org", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"rw:profile", "rw:issuer", "rw:backpack"}
    assert body["refresh_token"]
    me = client.get("/v2/users/self", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.json()["result"][0]["emails"][0]["email"] == "ann@example.org"


def test_password_grant_with_client_id_and_scope(client, person):
    response = client.post(
        "/o/token",
        {
            "grant_type": "password",
            "client_id": "public",
            "username": person.email,
            "password": PASSWORD,
            "scope": "r:profile",
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "r:profile"


def test_wrong_password_is_refused_with_json(client, person):
    response = client.post("/o/token", {"username": person.email, "password": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_without_client_id_as_badgr_lite_does(client, person):
    first = client.post("/o/token", {"username": person.email, "password": PASSWORD}).json()
    response = client.post(
        "/o/token", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["access_token"] != first["access_token"]


def test_password_grant_stays_closed_for_other_clients(client, person):
    application = get_application_model().objects.create(
        name="Some app",
        client_type="confidential",
        authorization_grant_type="password",
        client_id="other",
        client_secret="s3cret",
        user=person,
    )
    response = client.post(
        "/o/token",
        {"grant_type": "password", "username": person.email, "password": PASSWORD},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"other:s3cret").decode(),
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("unauthorized_client", "invalid_grant")
    assert application.pk


def test_client_credentials_token_acts_as_the_applications_owner(client, person):
    get_application_model().objects.create(
        name="LMS",
        client_type="confidential",
        authorization_grant_type="client-credentials",
        client_id="lms",
        client_secret="lms-secret",
        user=person,
    )
    response = client.post(
        "/o/token",
        {"grant_type": "client_credentials", "scope": "r:profile"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"lms:lms-secret").decode(),
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    me = client.get("/v2/users/self", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["result"][0]["entityId"] == person.entity_id


def test_authorization_code_with_pkce(person):
    get_application_model().objects.create(
        name="Third party",
        client_type="public",
        authorization_grant_type="authorization-code",
        client_id="third",
        redirect_uris="https://app.example/cb",
        user=person,
        skip_authorization=True,
    )
    browser = Client()
    browser.force_login(person)
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    response = browser.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": "third",
            "redirect_uri": "https://app.example/cb",
            "scope": "r:profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 302, response.content
    code = parse_qs(urlparse(response["Location"]).query)["code"][0]
    token = Client().post(
        "/o/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "third",
            "redirect_uri": "https://app.example/cb",
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "r:profile"


@pytest.mark.parametrize(
    "auth",
    [None, "Bearer not-a-token", "Bearer expired", "Basic Zm9vOmJhcg=="],
)
def test_missing_bad_or_expired_token_is_401_with_badgr_envelope(client, person, auth):
    if auth == "Bearer expired":
        auth = f"Bearer {make_token(person, expired=True)}"
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    response = client.get("/v2/issuers", **headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"]["success"] is False
    assert body["result"] == []
    assert "WWW-Authenticate" in response


def test_access_token_query_parameter_is_accepted(client, person):
    token = make_token(person)
    response = client.get(f"/v2/users/self?access_token={token}")
    assert response.status_code == 200


def test_read_scope_cannot_write(client, person):
    token = make_token(person, "r:profile")
    assert client.get("/v2/users/self", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    response = client.put(
        "/v2/users/self",
        {"firstName": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert "rw:profile" in response.json()["status"]["description"]


def test_profile_update(client, person):
    token = make_token(person)
    response = client.put(
        "/v2/users/self",
        {"firstName": " Annie ", "lastName": "Lee"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response.json()["result"][0]["firstName"] == "Annie"


def test_password_guessing_on_the_token_endpoint_is_throttled(client, person, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        assert (
            client.post("/o/token", {"username": person.email, "password": "x"}).status_code == 400
        )
    blocked = client.post("/o/token", {"username": person.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "rate_limited"
    assert int(blocked["Retry-After"]) > 0
    cache.clear()
    assert (
        client.post("/o/token", {"username": person.email, "password": PASSWORD}).status_code == 200
    )


def test_admin_login_guessing_is_throttled(client, person, settings):
    settings.LOGIN_THROTTLE_FAILURES = 2
    from django.core.cache import cache

    cache.clear()
    for _ in range(2):
        response = client.post("/admin/login/", {"username": person.email, "password": "x"})
        assert response.status_code == 200
    assert (
        client.post("/admin/login/", {"username": person.email, "password": "x"}).status_code == 429
    )
    cache.clear()
