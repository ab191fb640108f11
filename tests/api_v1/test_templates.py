"""/api/v1/badge-templates: CRUD, archive, versions."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes, png_upload
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import V1_TIMESTAMP

pytestmark = pytest.mark.django_db

DATA_URI = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


def create(api, issuer, **fields):
    payload = {
        "organization_id": issuer.entity_id,
        "name": "Python",
        "criteria_narrative": "Pass the project.",
        "image": DATA_URI,
        **fields,
    }
    return api.post("/api/v1/badge-templates", payload, format="json")


def test_create_read_update_delete(api, issuer):
    response = create(
        api,
        issuer,
        kind="knowledge",
        tags=["python", "code"],
        alignments=[{"targetName": "ESCO", "targetUrl": "https://esco.example/x"}],
        validity_amount=2,
        validity_unit="years",
    )
    assert response.status_code == 201, response.content
    template = response.json()
    assert template["organization_id"] == issuer.entity_id
    assert template["kind"] == "knowledge"
    assert template["tags"] == ["python", "code"]
    assert (template["validity_amount"], template["validity_unit"]) == (2, "years")
    assert template["image_path"].startswith("http://127.0.0.1:8000/media/")
    assert template["image_thumbnail_path"].startswith("http://")
    assert V1_TIMESTAMP.match(template["created_at"])
    first_version = template["current_version"]
    path = f"/api/v1/badge-templates/{template['id']}"
    assert api.get(path).json() == template
    # a change to what badges show makes a version
    changed = api.patch(path, {"description": "New words"}, format="json").json()
    assert changed["description"] == "New words"
    assert changed["current_version"] != first_version
    versions = api.get(f"{path}/versions").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    old = api.get(f"{path}/versions/{first_version}").json()
    assert old["number"] == 1
    assert old["description"] == ""
    assert old["badge_template"] == template["id"]
    assert api.get(f"{path}/versions/nope").status_code == 404
    # validity cleared
    cleared = api.patch(path, {"validity_amount": None}, format="json").json()
    assert cleared["validity_amount"] is None
    assert cleared["validity_unit"] == ""
    assert api.delete(path).status_code == 204
    assert not BadgeTemplate.objects.filter(entity_id=template["id"]).exists()


def test_create_with_a_multipart_upload(api, issuer):
    response = api.post(
        "/api/v1/badge-templates",
        {
            "organization_id": issuer.entity_id,
            "name": "Upload",
            "criteria_url": "https://academy.example/criteria",
            "image": png_upload(),
            "tags": ["a", "b"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["a", "b"]


@pytest.mark.parametrize("alignments", ["not json", "[" * 100_000])
def test_multipart_alignments_that_are_not_json_are_a_400_on_the_field(api, issuer, alignments):
    # JSON nested too deeply raised RecursionError, no ValueError: a 500
    response = api.post(
        "/api/v1/badge-templates",
        {
            "organization_id": issuer.entity_id,
            "name": "Upload",
            "criteria_url": "https://academy.example/criteria",
            "image": png_upload(),
            "alignments": alignments,
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["field_errors"] == {
        "alignments": ["Give a JSON list of alignment objects."]
    }


def test_archive_and_unarchive(api, template):
    path = f"/api/v1/badge-templates/{template.entity_id}"
    assert api.post(f"{path}/archive").json()["archived"] is True
    assert api.get("/api/v1/badge-templates?archived=1").json()["count"] == 1
    assert api.get("/api/v1/badge-templates?archived=0").json()["count"] == 0
    assert api.post(f"{path}/unarchive").json()["archived"] is False


def test_an_awarded_template_cannot_be_deleted(api, template):
    AssertionFactory(template=template)
    response = api.delete(f"/api/v1/badge-templates/{template.entity_id}")
    assert response.status_code == 409
    assert response.json()["code"] == "template_awarded"


def test_staff_cannot_manage_templates(staff, template, issuer):
    api = client_for(staff.user)
    assert api.get(f"/api/v1/badge-templates/{template.entity_id}").status_code == 200
    assert create(api, issuer).status_code == 403
    path = f"/api/v1/badge-templates/{template.entity_id}"
    assert api.patch(path, {"name": "x"}, format="json").status_code == 403
    assert api.post(f"{path}/archive").status_code == 403
    assert api.delete(path).status_code == 403


def test_other_organisations_templates_are_404(outsider_api, template, issuer):
    path = f"/api/v1/badge-templates/{template.entity_id}"
    assert outsider_api.get(path).status_code == 404
    assert outsider_api.get(f"{path}/versions").status_code == 404
    assert outsider_api.patch(path, {"name": "x"}, format="json").status_code == 404
    assert outsider_api.delete(path).status_code == 404
    response = create(outsider_api, issuer)
    assert response.status_code == 400
    assert "organization_id" in response.json()["field_errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"image": "not an image"}, "image"),
        ({"image": None}, "image"),
        ({"kind": "magic"}, "kind"),
        ({"tags": "python"}, "tags"),
        ({"alignments": [{"targetName": "x"}]}, "alignments"),
        ({"validity_amount": 0}, "validity_amount"),
        ({"validity_amount": 2}, "validity_unit"),  # an amount needs a unit
        ({"criteria_url": "", "criteria_narrative": ""}, "__all__"),
        ({"archived": True}, "archived"),
    ],
)
def test_bad_templates_are_400_with_field_errors(api, issuer, change, field):
    payload = {
        "organization_id": issuer.entity_id,
        "name": "Python",
        "criteria_narrative": "Pass.",
        "image": DATA_URI,
        **change,
    }
    payload = {k: v for k, v in payload.items() if not (k == "image" and v is None)}
    response = api.post("/api/v1/badge-templates", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["field_errors"] or (field == "__all__" and body["detail"])
    assert not BadgeTemplate.objects.exists()


def test_filters_and_ordering(api, issuer):
    BadgeTemplateFactory(issuer=issuer, name="Beta", kind="skills")
    BadgeTemplateFactory(issuer=issuer, name="Alpha", kind="participation")
    names = [t["name"] for t in api.get("/api/v1/badge-templates").json()["results"]]
    assert names == ["Alpha", "Beta"]
    newest = api.get("/api/v1/badge-templates?ordering=-created_at").json()["results"]
    assert [t["name"] for t in newest] == ["Alpha", "Beta"]
    assert api.get("/api/v1/badge-templates?kind=skills").json()["count"] == 1
    assert api.get("/api/v1/badge-templates?search=alp").json()["count"] == 1
    assert api.get("/api/v1/badge-templates?kind=magic").status_code == 400


def test_the_list_costs_the_same_queries_for_10_and_100_templates(db):
    membership = MembershipFactory(role=Role.OWNER)
    api = client_for(membership.user)
    counts = []
    for n in (10, 90):
        for _ in range(n):
            BadgeTemplateFactory(issuer=membership.issuer)
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/badge-templates?page_size=500")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
