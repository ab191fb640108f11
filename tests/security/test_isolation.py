"""Tenant isolation over every API endpoint and every admin page.

The endpoints are enumerated from the URL resolver (drf-spectacular's enumerator walks
it for every DRF view), so an endpoint added later is in the matrix without anyone
editing this file; a path parameter it names that tests/security/world.py cannot fill
fails the matrix rather than skipping it.
"""

import pytest
from django.contrib import admin
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from issuers.admin_scoping import IssuerScopedMixin
from tests.admin.helpers import member
from tests.api_v2.conftest import client_for
from tests.security.world import make_world, path_parameters

pytestmark = pytest.mark.django_db

ALL_SCOPES = "rw:profile rw:issuer rw:backpack"
READ_SCOPES = "r:profile r:issuer r:backpack"
API_PREFIXES = ("/v2/", "/api/v1/")


def _callback_name(callback) -> str:
    return getattr(callback, "cls", callback).__name__


def api_endpoints(*, anonymous: bool = False) -> list[tuple[str, str]]:
    """Every API endpoint that reads a token; with `anonymous`, those that read none."""
    endpoints = []
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith(API_PREFIXES):
            continue  # /api/schema/ and /api/docs/ are public documentation
        if _callback_name(callback) == "unknown_endpoint":
            continue  # /v2's catch-all: a JSON 404 for any unknown path, no object behind it
        reads_no_token = getattr(callback, "cls", None) and not callback.cls.authentication_classes
        if bool(reads_no_token) == anonymous:
            endpoints.append((method.lower(), path))
    return sorted(set(endpoints))


# Badgr's account recovery: who forgot their password has no token; the same answer for
# any address, rate limited (tests/api_v2/test_forgot_password.py). Nothing else.
ANONYMOUS = [("post", "/v2/auth/forgot-password"), ("put", "/v2/auth/forgot-password")]
ENDPOINTS = api_endpoints()
WRITES = [(m, p) for m, p in ENDPOINTS if m != "get"]
ON_OBJECTS = [(m, p) for m, p in ENDPOINTS if "{" in p]
COLLECTIONS = [(m, p) for m, p in ENDPOINTS if "{" not in p and m == "get"]


def test_the_matrix_covers_both_apis():
    assert len(ENDPOINTS) >= 50
    assert {p.split("/")[1] for _, p in ENDPOINTS} == {"v2", "api"}


def test_only_account_recovery_answers_without_a_token():
    assert api_endpoints(anonymous=True) == ANONYMOUS


@pytest.fixture
def worlds():
    """Issuer A (the caller's) and issuer B, each with one of everything."""
    return make_world("Alpha"), make_world("Beta")


def _ids(world) -> set[str]:
    return {
        world.issuer.entity_id,
        world.template.entity_id,
        world.assertion.entity_id,
        world.earner.entity_id,
        world.batch.entity_id,
        world.template.current_version.entity_id,
        world.invitation.entity_id,
        world.invitation.email,
        world.issuer_request.entity_id,
    }


def _call(client, method, path):
    return getattr(client, method)(path, {}, format="json")


def _failures(endpoints, client, world, expected, check=None):
    """Every (method, path) whose answer is not `expected`, with what it was."""
    failures = []
    for method, path in endpoints:
        response = _call(client, method, path.format(**path_parameters(path, world)))
        problem = check(response) if check else None
        if response.status_code not in expected or problem:
            failures.append((method, path, response.status_code, problem or response.data))
    return failures


def test_another_issuers_objects_are_404_on_every_endpoint(worlds):
    a, b = worlds
    # given the owner of A, with a token of every scope
    api = client_for(a.owner, ALL_SCOPES)
    # when they name B's objects in the path of every endpoint that takes one
    # then B's objects do not exist for them
    assert _failures(ON_OBJECTS, api, b, {404}) == []


def test_no_list_shows_another_issuers_objects(worlds):
    a, b = worlds
    api = client_for(a.owner, ALL_SCOPES)

    def leaks(response):
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode()
        return sorted(i for i in [*_ids(b), b.assertion.recipient_email] if i in body)

    assert _failures(COLLECTIONS, api, a, {200}, leaks) == []


def test_every_write_is_403_with_a_read_only_token(worlds):
    a, _ = worlds
    # given the owner of A with a token that may only read
    api = client_for(a.owner, READ_SCOPES)
    # when they write to their own objects, then the scope is refused before anything else
    assert _failures(WRITES, api, a, {403}) == []


def test_every_endpoint_is_401_without_a_token_or_with_a_bad_one(worlds):
    a, _ = worlds

    def not_json(response):
        return not response["Content-Type"].startswith("application/json")

    assert _failures(ENDPOINTS, APIClient(), a, {401}, not_json) == []
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert _failures(ENDPOINTS, bad, a, {401}, not_json) == []


# -- the admin ---------------------------------------------------------------------------
# Every ModelAdmin that scopes to issuers is proven by tests/admin/test_admin_scoping.py
# (every changelist shows only the member's issuer; every change/history/delete page of
# another issuer's object is a 404). What is not scoped must be closed to members.


def unscoped_admins():
    return [
        pytest.param(model_admin, id=f"{model._meta.app_label}.{model._meta.model_name}")
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, IssuerScopedMixin)
    ]


@pytest.mark.parametrize("model_admin", unscoped_admins())
def test_an_admin_page_not_scoped_to_issuers_is_closed_to_issuer_members(
    client, worlds, model_admin
):
    a, b = worlds
    # given an owner of A (a staff user, as every member is), not a superuser
    client.force_login(member(a.issuer, role="owner"))
    opts = model_admin.model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    # when they open the changelist, the add page and any object's pages
    pages = [base, f"{base}add/"]
    obj = model_admin.model._default_manager.first()
    if obj is not None:
        pages += [f"{base}{obj.pk}/change/", f"{base}{obj.pk}/delete/"]
    for page in pages:
        response = client.get(page)
        # then nothing of it is shown to them
        assert response.status_code in (302, 403, 404), (page, response.status_code)
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"], page
