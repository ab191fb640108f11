"""The /v2 endpoints: shapes, rules, and every endpoint's 401 / 403 / 404 / 400."""

import base64
import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from assertions.models import Assertion, AssertionStatus
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes, png_upload
from core.timefmt import format_iso_z
from issuers.models import Issuer, Role
from issuers.tests.factories import MembershipFactory, make_operator
from templates_app.models import BadgeTemplate
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import client_for

pytestmark = pytest.mark.django_db

DATA_URI = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


def award(api, template, email="ann@example.org", **extra):
    body = {"recipient": {"identity": email, "type": "email"}, **extra}
    return api.post(f"/v2/badgeclasses/{template.entity_id}/assertions", body, format="json")


def result(response):
    return response.json()["result"]


# --- issuers -------------------------------------------------------------------------


def test_issuer_create_list_update_delete(api, owner):
    make_operator(owner.user)  # who may create issuers: tests/security/test_tenancy.py
    created = api.post(
        "/v2/issuers",
        {
            "name": "New School",
            "email": "hello@new.example",
            "url": "https://new.example",
            "description": "We teach",
            "image": DATA_URI,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    issuer = result(created)[0]
    assert issuer["entityType"] == "Issuer"
    assert issuer["openBadgeId"].endswith(f"/public/issuers/{issuer['entityId']}")
    assert issuer["staff"][0]["role"] == "owner"
    assert issuer["image"].startswith("http")
    assert issuer["createdAt"].endswith("Z")
    names = [i["name"] for i in result(api.get("/v2/issuers"))]
    assert sorted(names) == sorted([owner.issuer.name, "New School"])
    updated = api.put(f"/v2/issuers/{issuer['entityId']}", {"name": "Renamed"}, format="json")
    assert result(updated)[0]["name"] == "Renamed"
    assert api.delete(f"/v2/issuers/{issuer['entityId']}").status_code == 200
    assert not Issuer.objects.filter(entity_id=issuer["entityId"]).exists()


def test_issuer_with_badges_cannot_be_deleted(api, template):
    award(api, template)
    response = api.delete(f"/v2/issuers/{template.issuer.entity_id}")
    assert response.status_code == 409
    assert "revoke" in response.json()["status"]["description"]


def test_issuer_create_names_bad_fields(api, owner):
    make_operator(owner.user)
    response = api.post(
        "/v2/issuers", {"name": "", "email": "nope", "image": "http://x/y.png"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fieldErrors"]) == {"name", "email", "image"}


# --- badge classes -------------------------------------------------------------------


def test_badgeclass_create_with_data_uri_and_snake_case_criteria(api, owner):
    response = api.post(
        "/v2/badgeclasses",
        {
            "issuer": owner.issuer.entity_id,
            "name": "Python",
            "description": "Knows Python",
            "image": DATA_URI,
            "criteria_url": "https://x.example/criteria",
            "criteria_text": "Pass",
            "tags": ["code"],
            "alignments": [{"targetName": "ESCO", "targetUrl": "https://esco.example"}],
            "expires": {"amount": 2, "duration": "years"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    badge = result(response)[0]
    assert badge["criteriaUrl"] == "https://x.example/criteria"
    assert badge["criteriaNarrative"] == "Pass"
    assert badge["expires"] == {"amount": 2, "duration": "years"}
    assert badge["issuer"] == owner.issuer.entity_id
    assert badge["alignments"] == [{"targetName": "ESCO", "targetUrl": "https://esco.example"}]
    for key in (
        "entityId",
        "expires",
        "entityType",
        "extensions",
        "openBadgeId",
        "createdBy",
        "issuer",
        "image",
        "issuerOpenBadgeId",
        "createdAt",
    ):
        assert key in badge  # what badgr-lite requires


def test_badgeclass_create_multipart_as_open_edx_does(api, owner):
    response = api.post(
        f"/v2/issuers/{owner.issuer.entity_id}/badgeclasses",
        {
            "name": "Course completed",
            "criteriaUrl": "https://lms.example/course",
            "description": "Finished it",
            "image": png_upload("course.png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert result(response)[0]["criteriaUrl"] == "https://lms.example/course"


def test_badgeclass_needs_criteria_and_a_real_image(api, owner):
    response = api.post(
        "/v2/badgeclasses",
        {"issuer": owner.issuer.entity_id, "name": "X", "image": "data:image/png;base64,aGVsbG8="},
        format="json",
    )
    assert response.status_code == 400
    assert "image" in response.json()["fieldErrors"]
    response = api.post(
        "/v2/badgeclasses",
        {"issuer": owner.issuer.entity_id, "name": "X", "image": DATA_URI},
        format="json",
    )
    assert response.status_code == 400
    assert "criteria" in response.json()["status"]["description"].lower()
    response = api.post("/v2/badgeclasses", {"name": "X"}, format="json")
    assert response.json()["fieldErrors"] == {"issuer": ["This field is required."]}


def test_badgeclass_update_and_archive_and_delete(api, template):
    response = api.put(
        f"/v2/badgeclasses/{template.entity_id}",
        {"description": "New words", "expires": None, "archived": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    template.refresh_from_db()
    assert template.archived
    assert template.current_version.number == 2
    assert award(api, template).status_code == 400  # archived
    assert api.delete(f"/v2/badgeclasses/{template.entity_id}").status_code == 200
    assert not BadgeTemplate.objects.filter(pk=template.pk).exists()


def test_an_awarded_badgeclass_cannot_be_deleted(api, template):
    award(api, template)
    response = api.delete(f"/v2/badgeclasses/{template.entity_id}")
    assert response.status_code == 409
    assert "archive" in response.json()["status"]["description"]


# --- assertions ----------------------------------------------------------------------


def test_award_answers_201_with_the_badgr_assertion_shape(api, template):
    response = award(
        api,
        template,
        narrative="Did *it*",
        evidence=[{"url": "https://e.example", "narrative": "x"}],
        issuedOn="2024-05-01 10:00:00Z",
        expires="2030-01-01T00:00:00+01:00",
        extensions={"extensions:recipientProfile": {"name": "Ann Marie Lee"}},
    )
    assert response.status_code == 201, response.content
    badge = result(response)[0]
    required = {
        "entityType",
        "entityId",
        "openBadgeId",
        "createdAt",
        "createdBy",
        "badgeclass",
        "badgeclassOpenBadgeId",
        "issuer",
        "issuerOpenBadgeId",
        "image",
        "recipient",
        "issuedOn",
        "narrative",
        "evidence",
        "revoked",
        "revocationReason",
        "expires",
        "extensions",
    }
    assert required <= set(badge)
    assert badge["issuedOn"] == "2024-05-01T10:00:00Z"
    assert badge["expires"] == "2029-12-31T23:00:00Z"
    assert badge["recipient"]["identity"].startswith("sha256$")
    assert badge["recipient"]["plaintextIdentity"] == "ann@example.org"
    assert badge["revoked"] is False
    # this platform's addition: where the signed Open Badges 3.0 credential is
    assert badge["credentialUrl"] == f"{badge['openBadgeId']}/credential"
    stored = Assertion.objects.get(entity_id=badge["entityId"])
    assert (stored.recipient_first_name, stored.recipient_last_name) == ("Ann Marie", "Lee")
    assert badge["extensions"] == {"extensions:recipientProfile": {"name": "Ann Marie Lee"}}


def test_a_list_shows_each_badge_exactly_as_its_award_answered(api, template):
    # Given badges with and without evidence and extensions (JSON a list sends on as the
    # database writes it), one with an extension holding null and text to escape
    bodies = [
        {
            "evidence": [{"url": "https://e.example/1", "narrative": 'Zoë "quoted"\n\u2028'}],
            "extensions": {
                "extensions:recipientProfile": {"name": "Ann Marie Lee"},
                "b": [1, None],
            },
        },
        {"evidence": [], "extensions": {"extensions:x": None}},
        {},
    ]
    awarded = []
    for i, body in enumerate(bodies):
        response = award(api, template, email=f"list{i}@example.org", **body)
        assert response.status_code == 201, response.content
        awarded.append(result(response)[0])
    # When the badge class's badges are listed, plainly and indented
    url = f"/v2/badgeclasses/{template.entity_id}/assertions"
    listed = {b["entityId"]: b for b in result(api.get(url))}
    indented = api.get(url, HTTP_ACCEPT="application/json; indent=2")
    # Then each listed badge is its award's answer, the same JSON in both renderings
    assert [listed[b["entityId"]] for b in awarded] == awarded
    assert {b["entityId"]: b for b in result(indented)} == listed
    assert b'\n  "status"' in indented.content
    assert listed[awarded[2]["entityId"]]["extensions"] == {}
    assert listed[awarded[1]["entityId"]]["extensions"] == {"extensions:x": None}


def test_award_accepts_badgrclient_nulls(api, template):
    response = award(
        api,
        template,
        narrative=None,
        evidence=[],
        notify=False,
        expires=None,
        issuedOn="2024-01-02 03:04:05Z",
    )
    assert response.status_code == 201, response.content


def test_award_on_the_issuer_scope_by_badgeclass_or_open_badge_id(api, template, owner):
    url = f"/v2/issuers/{owner.issuer.entity_id}/assertions"
    by_id = api.post(
        url, {"badgeclass": template.entity_id, "recipient": {"identity": "a@x.org"}}, format="json"
    )
    assert by_id.status_code == 201, by_id.content
    by_url = api.post(
        url,
        {
            "badgeclassOpenBadgeId": f"http://127.0.0.1:8000/public/badges/{template.entity_id}",
            "recipient": {"identity": "b@x.org"},
        },
        format="json",
    )
    assert by_url.status_code == 201
    missing = api.post(url, {"recipient": {"identity": "c@x.org"}}, format="json")
    assert missing.status_code == 400
    assert "badgeclass" in missing.json()["fieldErrors"]
    other = BadgeTemplateFactory()  # another issuer's class
    wrong = api.post(
        url, {"badgeclass": other.entity_id, "recipient": {"identity": "d@x.org"}}, format="json"
    )
    assert wrong.status_code == 400


def test_notify_sends_the_email_and_charges_a_credit(
    api, template, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = award(api, template, notify=True)
    assert response.status_code == 201
    assert len(mail.outbox) == 1
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 49


def test_not_enough_credits_is_402_and_nothing_is_issued(api, template, owner):
    Issuer.objects.filter(pk=owner.issuer.pk).update(credit_balance=0)
    response = award(api, template, notify=True)
    assert response.status_code == 402
    assert "Not enough credits" in response.json()["status"]["description"]
    assert not Assertion.objects.exists()


def test_duplicate_awards_can_be_refused(api, template):
    assert award(api, template).status_code == 201
    response = award(api, template, allowDuplicateAwards=False)
    assert response.status_code == 409
    assert "recipient" in response.json()["fieldErrors"]


def test_idempotency_key_returns_the_first_award(api, template):
    first = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": "k@x.org"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    second = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": "k@x.org"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )
    assert first.status_code == second.status_code == 201
    assert result(first)[0]["entityId"] == result(second)[0]["entityId"]
    assert second["Idempotent-Replayed"] == "true"
    assert Assertion.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": {"identity": "not-an-email"}}, "email"),
        ({"recipient": {"identity": "a@x.org", "type": "telephone"}}, "recipient"),
        ({}, "recipient"),
        ({"recipient": {"identity": "a@x.org"}, "issuedOn": "yesterday"}, "issuedOn"),
        ({"recipient": {"identity": "a@x.org"}, "evidence": [{}]}, "evidence"),
        ({"recipient": {"identity": "a@x.org"}, "expires": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_bad_award_bodies_are_400_with_field_errors(api, template, body, field):
    response = api.post(f"/v2/badgeclasses/{template.entity_id}/assertions", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fieldErrors"]
    assert not Assertion.objects.exists()


def test_lists_hide_revoked_and_expired_unless_asked(api, template, owner):
    valid = AssertionFactory(template=template)
    revoked, _ = assertion_revoke(assertion=AssertionFactory(template=template), reason="x")
    Assertion.objects.filter(pk=AssertionFactory(template=template).pk).update(
        status=AssertionStatus.INVALID
    )
    url = f"/v2/badgeclasses/{template.entity_id}/assertions"
    assert [a["entityId"] for a in result(api.get(url))] == [valid.entity_id]
    assert len(result(api.get(url, {"include_revoked": "true"}))) == 2
    assert len(result(api.get(url, {"include_revoked": "true", "include_expired": "true"}))) == 3
    assert result(api.get(url, {"include_revoked": "true"}))[0]["revocationReason"] in (None, "x")
    by_recipient = api.get(
        f"/v2/issuers/{owner.issuer.entity_id}/assertions",
        {"recipient": valid.recipient_email.upper()},
    )
    assert [a["entityId"] for a in result(by_recipient)] == [valid.entity_id]
    assert revoked


def test_cursor_pagination_walks_every_badge_once(api, template, owner):
    made = [AssertionFactory(template=template).entity_id for _ in range(7)]
    seen, url, pages = [], f"/v2/issuers/{owner.issuer.entity_id}/assertions?num=3", 0
    while url:
        response = api.get(url)
        seen += [a["entityId"] for a in result(response)]
        pages += 1
        link = response.get("Link", "")
        nxt = [part for part in link.split(",") if 'rel="next"' in part]
        url = nxt[0].split(";")[0].strip()[1:-1] if nxt else None
    assert pages == 3
    assert sorted(seen) == sorted(made)
    assert seen == list(reversed(made))  # newest first
    last_page = api.get(f"/v2/issuers/{owner.issuer.entity_id}/assertions?num=3")
    assert 'rel="prev"' not in last_page.get("Link", "")


@pytest.mark.parametrize("query", ["num=0", "num=x", "num=3&after=%%%", "num=3&after=a&before=b"])
def test_bad_pagination_parameters_are_400(api, template, owner, query):
    response = api.get(f"/v2/issuers/{owner.issuer.entity_id}/assertions?{query}")
    assert response.status_code == 400


def test_put_corrects_narrative_and_dates(api, template):
    badge = result(award(api, template))[0]
    response = api.put(
        f"/v2/assertions/{badge['entityId']}",
        {"narrative": "Updated", "expires": "2031-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert result(response)[0]["narrative"] == "Updated"
    assert result(response)[0]["expires"] == "2031-01-01T00:00:00Z"


def test_delete_revokes_with_a_reason_and_is_idempotent(api, template):
    badge = result(award(api, template))[0]
    url = f"/v2/assertions/{badge['entityId']}"
    assert api.delete(url, {"revocation_reason": "Cheating"}, format="json").status_code == 200
    assert api.delete(url).status_code == 200
    got = result(api.get(url))[0]
    assert got["revoked"] is True
    assert got["revocationReason"] == "Cheating"


def test_bulk_revoke_reports_each_item(api, template):
    mine = result(award(api, template))[0]["entityId"]
    theirs = AssertionFactory().entity_id
    response = api.post(
        "/v2/assertions/revoke",
        [
            {"entityId": mine, "revocationReason": "Course was cancelled"},
            {"entityId": theirs, "revocationReason": "x"},
            {"entityId": mine, "revocationReason": "again"},
            {"entityId": "nope"},
        ],
        format="json",
    )
    assert response.status_code == 200
    assert result(response) == [
        {"entityId": mine, "revoked": True},
        {"entityId": theirs, "revoked": False, "reason": "Badge not found.", "code": "not_found"},
        {
            "entityId": mine,
            "revoked": False,
            "reason": "Already revoked.",
            "code": "already_revoked",
        },
        {
            "entityId": "nope",
            "revoked": False,
            "reason": "A revocation reason is required.",
            "code": "reason_required",
        },
    ]
    assert api.post("/v2/assertions/revoke", {"entityId": mine}, format="json").status_code == 400


def test_backpack_lists_the_callers_own_badges(template, user):
    AssertionFactory(template=template, recipient_email=user.email)
    AssertionFactory(template=template)
    response = client_for(user).get("/v2/backpack/assertions")
    assert response.status_code == 200
    assert [a["recipient"]["plaintextIdentity"] for a in result(response)] == [user.email]
    assert client_for(user, "r:profile").get("/v2/backpack/assertions").status_code == 403


# --- the auth matrix over every endpoint ----------------------------------------------

ENDPOINTS = [
    ("get", "/v2/issuers/{issuer}"),
    ("put", "/v2/issuers/{issuer}"),
    ("delete", "/v2/issuers/{issuer}"),
    ("get", "/v2/issuers/{issuer}/badgeclasses"),
    ("post", "/v2/issuers/{issuer}/badgeclasses"),
    ("get", "/v2/issuers/{issuer}/assertions"),
    ("post", "/v2/issuers/{issuer}/assertions"),
    ("get", "/v2/badgeclasses/{template}"),
    ("put", "/v2/badgeclasses/{template}"),
    ("delete", "/v2/badgeclasses/{template}"),
    ("get", "/v2/badgeclasses/{template}/assertions"),
    ("post", "/v2/badgeclasses/{template}/assertions"),
    ("get", "/v2/assertions/{assertion}"),
    ("put", "/v2/assertions/{assertion}"),
    ("delete", "/v2/assertions/{assertion}"),
]
COLLECTIONS = [
    ("get", "/v2/issuers"),
    ("post", "/v2/issuers"),
    ("get", "/v2/badgeclasses"),
    ("post", "/v2/badgeclasses"),
    ("post", "/v2/assertions/revoke"),
    ("get", "/v2/users/self"),
    ("put", "/v2/users/self"),
    ("get", "/v2/backpack/assertions"),
]


@pytest.fixture
def targets(template):
    badge = AssertionFactory(template=template)
    return {
        "issuer": template.issuer.entity_id,
        "template": template.entity_id,
        "assertion": badge.entity_id,
    }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS + COLLECTIONS)
def test_every_endpoint_is_401_without_a_token(client, targets, method, path):
    response = getattr(client, method)(path.format(**targets))
    assert response.status_code == 401
    assert response.json()["status"]["success"] is False


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_is_404_for_another_issuers_member(outsider_api, targets, method, path):
    response = getattr(outsider_api, method)(path.format(**targets), {}, format="json")
    assert response.status_code == 404
    assert response.json()["status"]["description"] == "entity not found or insufficient privileges"


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS + COLLECTIONS if e[0] != "get"])
def test_every_write_is_403_with_a_read_only_token(owner, targets, method, path):
    read_only = client_for(owner.user, "r:profile r:issuer r:backpack")
    response = getattr(read_only, method)(path.format(**targets), {}, format="json")
    assert response.status_code == 403


def test_staff_role_cannot_change_badge_classes(template):
    staff = MembershipFactory(issuer=template.issuer, role=Role.STAFF).user
    api = client_for(staff)
    assert api.get(f"/v2/badgeclasses/{template.entity_id}").status_code == 200
    response = api.put(f"/v2/badgeclasses/{template.entity_id}", {"name": "Mine"}, format="json")
    assert response.status_code == 404
    assert award(api, template).status_code == 201  # staff award


def test_unknown_v2_paths_are_json_404s(api):
    for path in ("/v2/badgeclasses/", "/v2/nothing/here"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["status"] == {"success": False, "description": "No such endpoint."}


def test_idempotency_key_on_other_posts_replays_and_guards_the_body(api, owner):
    make_operator(owner.user)
    body = {"name": "Once", "email": "once@x.org"}
    first = api.post("/v2/issuers", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post("/v2/issuers", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert result(first) == result(again)
    assert again["Idempotent-Replayed"] == "true"
    assert Issuer.objects.filter(name="Once").count() == 1
    other = api.post(
        "/v2/issuers", {**body, "name": "Twice"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422
    # a failed request keeps nothing: the same key works once the body is fixed
    bad = api.post("/v2/issuers", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    fixed = api.post(
        "/v2/issuers",
        {"name": "Fixed", "email": "f@x.org"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert fixed.status_code == 201


def test_a_revoked_assertion_has_no_credential_url(api, template):
    revoked, _ = assertion_revoke(assertion=AssertionFactory(template=template), reason="x")
    body = result(api.get(f"/v2/assertions/{revoked.entity_id}"))[0]
    assert body["revoked"] is True
    assert body["credentialUrl"] is None


def test_a_body_over_the_limit_is_413_in_badgrs_envelope(api, template, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": "ada@example.org"}, "narrative": "x" * 2000},
        format="json",
    )
    assert response.status_code == 413
    status = response.json()["status"]
    assert status["success"] is False
    assert "larger than the 1,000 bytes this server accepts" in status["description"]
    assert not Assertion.objects.exists()


def test_a_list_writes_each_time_as_the_single_badge_does(api, template):
    # Given badges whose times have fractions of a second just under the next second, a
    # year written with fewer than 4 digits, a zone other than UTC, and no expiry
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    times = [
        (dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=rome), None),
        (
            dt.datetime(443, 1, 2, 3, 4, 5, 999999, tzinfo=dt.UTC),
            dt.datetime(2030, 1, 1, tzinfo=rome),
        ),
    ]
    for emitted, expires in times:
        badge = AssertionFactory(template=template)
        Assertion.objects.filter(pk=badge.pk).update(
            created_at=emitted, emitted_at=emitted, expires_at=expires
        )
    # When the issuer's badges are listed
    listed = result(api.get(f"/v2/issuers/{template.issuer.entity_id}/assertions"))
    # Then each time reads as format_iso_z writes it for one badge
    by_id = {b.entity_id: b for b in Assertion.objects.all()}
    for item in listed:
        badge = by_id[item["entityId"]]
        assert item["createdAt"] == format_iso_z(badge.created_at)
        assert item["issuedOn"] == format_iso_z(badge.emitted_at)
        assert item["expires"] == format_iso_z(badge.expires_at)
    assert {item["issuedOn"] for item in listed} == {"2026-06-30T21:59:59Z", "0443-01-02T03:04:05Z"}
