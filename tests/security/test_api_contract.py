"""Issue 17, finding 10 (the API parts): the two APIs answer what their schema says.

- deleting a template that has been awarded is 409 Conflict, as documented, not 400;
- any path under /api/v1 or /v2 that no route takes (an unknown endpoint, or an id with
  characters no entity id has) is a JSON 404 in that API's error shape, never Django's
  HTML page;
- a URL that was never given reads back as null, which the schema allows, never "",
  which `format: uri` does not.
"""

from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient
from schemathesis import checks

from assertions.tests.factories import AssertionFactory
from issuers.models import Issuer
from templates_app.models import BadgeTemplate, BadgeTemplateVersion
from tests.api_v2.conftest import ALL_SCOPES, client_for, make_token
from tests.security.world import api_operations, api_schema, make_world, path_parameters

pytestmark = pytest.mark.django_db

SCHEMA = api_schema()


# -- 409 for a template that is still in use ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/badge-templates/{id}", "delete"), ("/v2/badgeclasses/{entity_id}", "delete")],
)
def test_deleting_an_awarded_template_is_the_409_the_schema_documents(path, method):
    # given a template that has been awarded, and the schema of its delete operation
    world = make_world("Awarded")
    documented = SCHEMA["paths"][path][method]["responses"]
    assert "409" in documented
    # when its issuer's owner deletes it
    url = path.format(**path_parameters(path, world))
    response = client_for(world.owner).delete(url)
    # then the answer is that 409, saying to archive it, and the template is kept
    assert response.status_code == 409, response.content
    assert "archive it instead" in response.content.decode()
    assert BadgeTemplate.objects.filter(pk=world.template.pk).exists()


# -- JSON 404 whatever the path ------------------------------------------------------------

# Ids no entity id looks like: a dot (the router's old format suffix), spaces, unicode,
# percent-escapes, a NUL, path tricks, and one far too long.
ODD_IDS = ["a.b", "x.json", "a b", "é", "a;b", "%00", "%FF", "..", "a%2Fb", "x" * 300]


def _v1_error(body):
    assert set(body) == {"detail", "code", "field_errors", "errors"}, body
    assert body["code"] == "not_found", body


def _v2_error(body):
    assert body["status"]["success"] is False, body
    assert body["result"] == [], body


def _odd_paths():
    for method, path, _operation in api_operations():
        if "{" in path:
            for odd in ODD_IDS:
                yield method, path, odd


ODD = sorted({(m, p) for m, p, _ in _odd_paths()})


@pytest.mark.parametrize(("method", "path"), ODD)
def test_every_api_path_with_an_odd_id_is_a_json_404_in_its_apis_shape(client, method, path):
    # given a caller with a token for every scope
    world = make_world("Odd")
    token = make_token(world.owner, ALL_SCOPES)
    for odd in ODD_IDS:
        # when any of the path's ids is one no entity id looks like
        real = path_parameters(path, world)
        for name in real:
            url = path.format(**{**real, name: odd})
            response = client.generic(method, url, HTTP_AUTHORIZATION=f"Bearer {token}")
            # then it is a 404 in JSON, in the API's own error shape
            assert response.status_code == 404, (url, response.status_code)
            assert response["Content-Type"].startswith("application/json"), url
            (_v2_error if path.startswith("/v2/") else _v1_error)(response.json())


def _query_parameters(operation) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


WITH_QUERY = sorted((m, p) for m, p, operation in api_operations() if _query_parameters(operation))


@pytest.mark.parametrize(("method", "path"), WITH_QUERY)
def test_no_query_parameter_with_a_nul_byte_is_a_server_error(client, method, path):
    # given a caller with a token for every scope, and an operation's query parameters
    world = make_world("Nul")
    token = make_token(world.owner, ALL_SCOPES)
    operation = SCHEMA["paths"][path][method.lower()]
    url = path.format(**path_parameters(path, world))
    client.raise_request_exception = False
    for name in _query_parameters(operation):
        # when one of them holds a NUL byte (which PostgreSQL refuses in any text)
        query = urlencode({name: "a\x00b"})
        response = client.generic(method, f"{url}?{query}", HTTP_AUTHORIZATION=f"Bearer {token}")
        # then it is never a server error; a refusal names the parameter
        assert response.status_code < 500, (method, url, name, response.status_code)
        if response.status_code == 400 and path.startswith("/v2/"):
            assert name in response.json()["fieldErrors"], response.json()


OB3 = ["/ims/ob/v3p0/credentials", "/ims/ob/v3p0/profile", "/ims/ob/v3p0/register"]


def test_a_query_string_oauthlib_cannot_read_is_never_a_server_error(client):
    # given a caller with a token for every scope, and every operation of the two APIs
    # and of the Open Badges 3.0 API
    world = make_world("Hex")
    token = make_token(world.owner, ALL_SCOPES)
    client.raise_request_exception = False
    operations = [(m, p.format(**path_parameters(p, world))) for m, p, _ in api_operations()]
    operations += [(method, url) for url in OB3 for method in ("GET", "POST")]
    for method, url in operations:
        # when its query string is not valid URL encoding (oauthlib, which reads the
        # credentials of a request without a plain bearer header, raises ValueError),
        # with the token in the header, in the query string, or with none
        for query, headers in (
            ("x=%zz", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
            (f"access_token={token}&x=%zz", {}),
            ("x=%zz", {}),
        ):
            response = client.generic(method, f"{url}?{query}", **headers)
            # then the answer is never a server error, and a refusal is JSON
            assert response.status_code < 500, (method, url, query, response.status_code)
            if response.status_code >= 400:
                assert "json" in response["Content-Type"], (method, url, response["Content-Type"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-thing",
        "/api/v1/badges/",
        "/api/v1/badges/abc/def/ghi",
        "/api/v1/organizations/x.y/members",
        "/v2/no-such-thing",
        "/v2/issuers/a/b/c/d",
    ],
)
def test_an_unknown_api_path_is_a_json_404_too(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    (_v2_error if url.startswith("/v2/") else _v1_error)(response.json())


# -- no "" against format: uri ---------------------------------------------------------------


@pytest.fixture
def no_urls_world(db):
    """An issuer with no web address, and a template with criteria as text only."""
    # Requests go through the WSGI handler, as in test_schemathesis.py: it must not close
    # the connection that holds this test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        world = make_world("Plain")
        Issuer.objects.filter(pk=world.issuer.pk).update(url="")
        BadgeTemplate.objects.filter(pk=world.template.pk).update(criteria_url="")
        BadgeTemplateVersion.objects.filter(template=world.template).update(criteria_url="")
        AssertionFactory(template=world.template, recipient_email=world.owner.email)
        yield world, make_token(world.owner, ALL_SCOPES)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_urls_never_given_read_back_as_null_as_the_schema_says(no_urls_world):
    # given an issuer and a template with no URLs, and every GET of both APIs
    world, token = no_urls_world
    schema = schemathesis.openapi.from_dict(SCHEMA)
    application = WSGIHandler()
    checked = 0
    for method, path, _operation in api_operations():
        if method != "GET":
            continue
        case = schema[path][method].Case(
            path_parameters=path_parameters(path, world) if "{" in path else None
        )
        # when each is read
        response = case.call(app=application, headers={"Authorization": f"Bearer {token}"})
        # then each body matches its schema, formats included ("" is no `uri`)
        case.validate_response(response, checks=[checks.response_schema_conformance])
        checked += 1
    assert checked >= 25
    # and the empty ones are null where both APIs show them
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    issuer, template = world.issuer.entity_id, world.template.entity_id
    assert api.get(f"/api/v1/organizations/{issuer}").json()["url"] is None
    assert api.get(f"/api/v1/badge-templates/{template}").json()["criteria_url"] is None
    assert api.get(f"/v2/issuers/{issuer}").json()["result"][0]["url"] is None
    assert api.get(f"/v2/badgeclasses/{template}").json()["result"][0]["criteriaUrl"] is None
