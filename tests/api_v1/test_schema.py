"""The OpenAPI document shows /api/v1, with examples, and is valid and warning-free."""

import pytest
import yaml
from django.core.management import call_command

from tests.api_v1.helpers import BADGE_ADDITIONS, BADGE_SPEC

PATHS = {
    "/api/v1/badges": {"get"},
    "/api/v1/badges/{id}": {"get", "patch"},
    "/api/v1/badges/{id}/revoke": {"post"},
    "/api/v1/badges/import": {"post"},
    "/api/v1/badges/export": {"get"},
    "/api/v1/badge-templates": {"get", "post"},
    "/api/v1/badge-templates/{id}": {"get", "patch", "delete"},
    "/api/v1/badge-templates/{id}/archive": {"post"},
    "/api/v1/badge-templates/{id}/versions": {"get"},
    "/api/v1/badge-templates/{id}/versions/{version_id}": {"get"},
    "/api/v1/earners": {"get", "post"},
    "/api/v1/earners/{id}": {"get", "patch", "delete"},
    "/api/v1/earners/{id}/badges": {"get"},
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{id}": {"get", "patch"},
    "/api/v1/organizations/{id}/members": {"get", "post"},
    "/api/v1/organizations/{id}/members/{user_id}": {"patch", "delete"},
    "/api/v1/organizations/{id}/invitations": {"get"},
    "/api/v1/organizations/{id}/invitations/{invitation_id}": {"delete"},
    "/api/v1/organizations/{id}/credits": {"get", "post"},
    "/api/v1/organizations/{id}/credit-requests": {"get", "post"},
    "/api/v1/organization-requests": {"get"},
    "/api/v1/organization-requests/{id}": {"get"},
    "/api/v1/assignments": {"get", "post"},
    "/api/v1/assignments/{id}": {"get"},
    "/api/v1/statistics": {"get"},
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    target = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        # --fail-on-warn: any undocumented field, response or auth is a failure
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_every_v1_endpoint_is_documented(schema):
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_the_badge_component_is_the_spec_with_an_example(schema):
    badge = schema["components"]["schemas"]["Badge"]
    assert list(badge["properties"]) == [*BADGE_SPEC, *BADGE_ADDITIONS]
    imported = badge["properties"]["imported"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][imported]["enum"] == [0, 1]
    assert badge["properties"]["created_at"]["pattern"] == r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
    detail = schema["paths"]["/api/v1/badges/{id}"]["get"]["responses"]["200"]
    example = detail["content"]["application/json"]["examples"]["ABadge"]["value"]
    assert list(example) == [*BADGE_SPEC, *BADGE_ADDITIONS]


def test_the_assignment_flow_is_documented_with_examples(schema):
    post = schema["paths"]["/api/v1/assignments"]["post"]
    assert {"201", "202", "400", "402"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["examples"]
    assert post["responses"]["402"]["content"]["application/json"]["examples"]
    assert post["security"][0] == {"oauth2": ["rw:issuer"]}


def test_list_filters_and_pagination_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/badges"]["get"]["parameters"]}
    assert {
        "status",
        "template",
        "template_version",
        "recipient_email",
        "organization_id",
        "imported",
        "emitted_after",
        "emitted_before",
        "expires_after",
        "expires_before",
        "created_after",
        "created_before",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= names
    export = {p["name"] for p in schema["paths"]["/api/v1/badges/export"]["get"]["parameters"]}
    assert {"format", "status", "ordering"} <= export


def test_the_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/badges" in response.json()["paths"]
