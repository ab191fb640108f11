"""GET/PATCH /api/v1/badges and revoke: the badge object of the spec, filters, paging."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.services import template_update
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import (
    BADGE_ADDITIONS,
    BADGE_SPEC,
    V1_TIMESTAMP,
    make_badges,
    spec_fields,
    utc,
)

pytestmark = pytest.mark.django_db


def badge_with_known_times(template, **fields):
    """A badge whose every timestamp is known: winter activity, summer issue and expiry."""
    badge = AssertionFactory(
        template=template,
        recipient_email="Ada@Example.org",
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
        activity_title="Spring course",
        activity_started_at=utc(2024, 3, 1, 8, 0, 0),  # 09:00 in Rome (CET)
        activity_ended_at=utc(2024, 3, 5, 16, 30, 0),  # 17:30 in Rome
        issued_on=utc(2024, 7, 1, 12, 0, 0),  # 14:00 in Rome (CEST)
        expires_at=utc(2036, 7, 1, 12, 0, 0),
        notes="Top of the class",
        additional_details={"grade": "A", "credits": 6},
        **fields,
    )
    Assertion.objects.filter(pk=badge.pk).update(
        created_at=utc(2024, 7, 1, 11, 59, 58), updated_at=utc(2024, 12, 24, 23, 30, 0)
    )
    return badge


def get_badge(api, badge):
    response = api.get(f"/api/v1/badges/{badge.entity_id}")
    assert response.status_code == 200, response.content
    return response.json()


# --- the badge object ------------------------------------------------------------------


def test_the_badge_object_has_exactly_the_fields_of_the_spec(api, template):
    # given a badge
    badge = badge_with_known_times(template)
    # when it is read
    body = get_badge(api, badge)
    # then its keys are the spec's table, in the spec's order, then this platform's additions
    assert list(body) == [*BADGE_SPEC, *BADGE_ADDITIONS]
    fields = spec_fields()
    if fields is not None:  # the spec is next to the repository: compare with the source
        assert list(body)[: len(fields)] == fields


def test_the_badge_object_types_and_formats_follow_the_spec(api, template, issuer):
    badge = badge_with_known_times(template)
    body = get_badge(api, badge)
    assert body["id"] == badge.entity_id
    assert len(body["id"]) == 22
    assert body["imported"] == 0
    assert type(body["imported"]) is int
    assert body["status"] == "valid"
    version = template.current_version
    assert body["badge_template_version"] == version.entity_id
    assert body["organization_id"] == issuer.entity_id
    assert body["image_path"] == f"http://127.0.0.1:8000{version.image.url}"
    assert body["image_high_path"] == f"http://127.0.0.1:8000{version.image_high.url}"
    assert body["image_thumbnail_path"] == f"http://127.0.0.1:8000{version.image_thumbnail.url}"
    assert body["url"] == f"http://127.0.0.1:8000/public/assertions/{badge.entity_id}"
    assert body["recipient_email"] == "ada@example.org"
    assert (body["recipient_first_name"], body["recipient_last_name"]) == ("Ada", "Lovelace")
    assert body["notes"] == "Top of the class"
    assert body["additional_details"] == {"grade": "A", "credits": 6}
    assert body["revoked_at"] is None
    assert body["revoked_reason"] is None
    assert body["imp_legacy_id"] is None
    assert body["credential_url"] == f"{body['url']}/credential"
    for name, (kind, _) in BADGE_SPEC.items():
        if kind == "timestamp" and body[name] is not None:
            assert V1_TIMESTAMP.match(body[name]), (name, body[name])


def test_times_are_in_the_issuers_zone_or_utc_as_the_spec_says(api, template):
    # given an issuer in Rome (CET in winter, CEST in summer)
    badge = badge_with_known_times(template)
    assertion_revoke(assertion=badge, reason="Mistake")
    Assertion.objects.filter(pk=badge.pk).update(
        revoked_at=utc(2025, 1, 15, 10, 0, 0), updated_at=utc(2024, 12, 24, 23, 30, 0)
    )
    body = get_badge(api, badge)
    # then the issuer-input times are Rome's
    assert body["activity_started_at"] == "2024-03-01 09:00:00"
    assert body["activity_ended_at"] == "2024-03-05 17:30:00"
    assert body["emitted_at"] == "2024-07-01 14:00:00"
    assert body["expires_at"] == "2036-07-01 14:00:00"
    assert body["updated_at"] == "2024-12-25 00:30:00"  # the next day in Rome
    # and created_at / revoked_at are UTC
    assert body["created_at"] == "2024-07-01 11:59:58"
    assert body["revoked_at"] == "2025-01-15 10:00:00"
    assert body["status"] == "revoked"
    assert body["revoked_reason"] == "Mistake"


def test_an_issuer_in_utc_gets_the_same_instants_in_utc(db):
    # given the same badge issued by an organisation whose zone is UTC
    membership = MembershipFactory(role=Role.OWNER, issuer__timezone="UTC")
    badge = badge_with_known_times(BadgeTemplateFactory(issuer=membership.issuer))
    body = get_badge(client_for(membership.user), badge)
    assert body["activity_started_at"] == "2024-03-01 08:00:00"
    assert body["emitted_at"] == "2024-07-01 12:00:00"
    assert body["expires_at"] == "2036-07-01 12:00:00"
    assert body["updated_at"] == "2024-12-24 23:30:00"
    assert body["created_at"] == "2024-07-01 11:59:58"


def test_a_badge_keeps_the_version_it_was_issued_with(api, template):
    badge = AssertionFactory(template=template)
    first = template.current_version
    template_update(template=template, description="Changed")
    template.refresh_from_db()
    assert template.current_version != first
    assert get_badge(api, badge)["badge_template_version"] == first.entity_id


def test_image_renditions_fall_back_to_the_main_image(api, template):
    version = template.current_version
    type(version).objects.filter(pk=version.pk).update(image_high="", image_thumbnail="")
    body = get_badge(api, AssertionFactory(template=template))
    assert body["image_high_path"] == body["image_path"] == body["image_thumbnail_path"]


# --- auth and scoping ------------------------------------------------------------------


def test_without_credentials_the_answer_is_401_json(client, template):
    badge = AssertionFactory(template=template)
    for path in ("/api/v1/badges", f"/api/v1/badges/{badge.entity_id}"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_401(template):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/badges").status_code == 401


def test_the_site_session_works_too(client, owner, template):
    AssertionFactory(template=template)
    client.force_login(owner.user)
    assert client.get("/api/v1/badges").json()["count"] == 1


def test_a_read_only_token_reads_but_cannot_write(owner, template):
    badge = AssertionFactory(template=template)
    api = client_for(owner.user, scope="r:issuer")
    assert api.get(f"/api/v1/badges/{badge.entity_id}").status_code == 200
    patch = api.patch(f"/api/v1/badges/{badge.entity_id}", {"notes": "x"}, format="json")
    assert patch.status_code == 403
    assert "rw:issuer" in patch.json()["detail"]
    revoke = api.post(f"/api/v1/badges/{badge.entity_id}/revoke", {}, format="json")
    assert revoke.status_code == 403
    badge.refresh_from_db()
    assert badge.status == AssertionStatus.VALID
    assert badge.notes == ""


def test_a_token_without_issuer_scope_cannot_read(owner, template):
    api = client_for(owner.user, scope="r:profile")
    assert api.get("/api/v1/badges").status_code == 403


def test_other_organisations_badges_are_404_and_not_listed(outsider_api, template):
    badge = AssertionFactory(template=template)
    assert outsider_api.get("/api/v1/badges").json()["count"] == 0
    path = f"/api/v1/badges/{badge.entity_id}"
    assert outsider_api.get(path).status_code == 404
    assert outsider_api.patch(path, {"notes": "x"}, format="json").status_code == 404
    assert outsider_api.post(f"{path}/revoke", {}, format="json").status_code == 404
    badge.refresh_from_db()
    assert badge.status == AssertionStatus.VALID


def test_staff_may_correct_and_revoke(staff, template):
    badge = AssertionFactory(template=template)
    api = client_for(staff.user)
    path = f"/api/v1/badges/{badge.entity_id}"
    assert api.patch(path, {"notes": "ok"}, format="json").status_code == 200
    assert api.post(f"{path}/revoke", {}, format="json").status_code == 200


# --- PATCH and revoke ------------------------------------------------------------------


def test_patch_corrects_the_allowed_fields_reading_times_in_the_issuers_zone(api, template):
    badge = badge_with_known_times(template)
    response = api.patch(
        f"/api/v1/badges/{badge.entity_id}",
        {
            "notes": "Corrected",
            "additional_details": {"grade": "A+"},
            "expires_at": "2030-01-01 10:00:00",  # Rome: 09:00 UTC
            "activity_title": "Summer course",
            "activity_started_at": "2024-03-01T07:00:00Z",  # ISO 8601 with an offset
            "activity_ended_at": "2024-03-02",
            "recipient_first_name": "Augusta Ada",
            "recipient_last_name": "King",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expires_at"] == "2030-01-01 10:00:00"
    assert body["activity_started_at"] == "2024-03-01 08:00:00"
    assert body["activity_ended_at"] == "2024-03-02 00:00:00"
    assert body["recipient_first_name"] == "Augusta Ada"
    badge.refresh_from_db()
    assert badge.expires_at == utc(2030, 1, 1, 9, 0, 0)
    assert badge.activity_started_at == utc(2024, 3, 1, 7, 0, 0)
    assert badge.notes == "Corrected"
    assert badge.additional_details == {"grade": "A+"}
    assert badge.events.filter(kind=EventKind.UPDATED).count() == 1


def test_patch_expires_at_null_makes_the_badge_never_expire(api, template):
    badge = badge_with_known_times(template)
    body = api.patch(
        f"/api/v1/badges/{badge.entity_id}", {"expires_at": None}, format="json"
    ).json()
    assert body["expires_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "revoked"}, "status"),
        ({"recipient_email": "x@example.org"}, "recipient_email"),
        ({"expires_at": "next tuesday"}, "expires_at"),
        ({"expires_at": "2000-01-01 00:00:00"}, "expires_at"),  # before it was issued
        ({"activity_ended_at": "2024-02-01 00:00:00"}, "activity_ended_at"),  # before start
        ({"additional_details": ["not", "an", "object"]}, "additional_details"),
        ({"recipient_first_name": "x" * 151}, "recipient_first_name"),
    ],
)
def test_patch_refuses_bad_input_with_field_errors(api, template, body, field):
    badge = badge_with_known_times(template)
    response = api.patch(f"/api/v1/badges/{badge.entity_id}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    badge.refresh_from_db()
    assert badge.events.filter(kind=EventKind.UPDATED).count() == 0


def test_patch_with_an_empty_body_is_400(api, template):
    badge = AssertionFactory(template=template)
    response = api.patch(f"/api/v1/badges/{badge.entity_id}", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_put_is_not_offered(api, template):
    badge = AssertionFactory(template=template)
    assert api.put(f"/api/v1/badges/{badge.entity_id}", {}, format="json").status_code == 405


def test_a_revoked_badge_cannot_be_corrected(api, template):
    badge = AssertionFactory(template=template)
    assertion_revoke(assertion=badge)
    response = api.patch(f"/api/v1/badges/{badge.entity_id}", {"notes": "x"}, format="json")
    assert response.status_code == 409


def test_revoke_with_and_without_a_reason(api, template):
    first, second = AssertionFactory(template=template), AssertionFactory(template=template)
    response = api.post(
        f"/api/v1/badges/{first.entity_id}/revoke", {"reason": "Cheating"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked"
    assert body["revoked_reason"] == "Cheating"
    assert V1_TIMESTAMP.match(body["revoked_at"])
    plain = api.post(f"/api/v1/badges/{second.entity_id}/revoke").json()
    assert plain["status"] == "revoked"
    assert plain["revoked_reason"] == ""
    # revoking again changes nothing
    again = api.post(f"/api/v1/badges/{first.entity_id}/revoke", {"reason": "Other"}).json()
    assert again["revoked_reason"] == "Cheating"
    assert again["revoked_at"] == body["revoked_at"]
    assert AssertionEvent.objects.filter(kind=EventKind.REVOKED).count() == 2


def test_revoke_refuses_a_bad_reason(api, template):
    badge = AssertionFactory(template=template)
    response = api.post(
        f"/api/v1/badges/{badge.entity_id}/revoke", {"reason": ["x"]}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["field_errors"]


# --- filters -----------------------------------------------------------------------------


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {badge["id"] for badge in response.json()["results"]}


@pytest.fixture
def spread(template, issuer):
    """Badges that differ in one thing each."""
    other_template = BadgeTemplateFactory(issuer=issuer, name="Other")
    badges = {
        "plain": AssertionFactory(template=template, recipient_email="ann@example.org"),
        "other_template": AssertionFactory(template=other_template),
        "revoked": AssertionFactory(template=template),
        "expired": AssertionFactory(
            template=template,
            issued_on=utc(2020, 1, 1, 12, 0, 0),
            expires_at=utc(2021, 1, 1, 12, 0, 0),
        ),
        "imported": AssertionFactory(template=template),
        "titled": AssertionFactory(template=template, activity_title="Advanced Python 2024"),
    }
    assertion_revoke(assertion=badges["revoked"])
    Assertion.objects.filter(pk=badges["imported"].pk).update(imported=True, imp_legacy_id="L1")
    return {name: badge.entity_id for name, badge in badges.items()}


def test_filter_by_status(api, spread):
    assert ids(api.get("/api/v1/badges?status=revoked")) == {spread["revoked"]}
    assert ids(api.get("/api/v1/badges?status=invalid")) == {spread["expired"]}
    both = api.get("/api/v1/badges?status=invalid&status=revoked")
    assert ids(both) == {spread["revoked"], spread["expired"]}


def test_filter_by_template_and_version(api, spread, template):
    other = set(spread.values()) - {spread["other_template"]}
    assert ids(api.get(f"/api/v1/badges?template={template.entity_id}")) == other
    version = template.current_version.entity_id
    assert ids(api.get(f"/api/v1/badges?template_version={version}")) == other
    assert ids(api.get("/api/v1/badges?template=nope")) == set()


def test_filter_by_recipient_email_in_any_case(api, spread):
    assert ids(api.get("/api/v1/badges?recipient_email=ANN@example.org")) == {spread["plain"]}


def test_filter_by_earner(api, spread):
    earner = Assertion.objects.get(entity_id=spread["plain"]).earner
    assert ids(api.get(f"/api/v1/badges?earner_id={earner.entity_id}")) == {spread["plain"]}


def test_filter_by_imported(api, spread):
    assert ids(api.get("/api/v1/badges?imported=1")) == {spread["imported"]}
    assert spread["imported"] not in ids(api.get("/api/v1/badges?imported=0"))
    response = api.get("/api/v1/badges?imported=maybe")
    assert response.status_code == 400
    assert "imported" in response.json()["field_errors"]


def test_filter_by_activity_title_search(api, spread):
    assert ids(api.get("/api/v1/badges?search=advanced python")) == {spread["titled"]}


def test_filter_by_organization(owner, template, other_issuer):
    # given a person who belongs to two organisations
    MembershipFactory(issuer=other_issuer.issuer, user=owner.user, role=Role.STAFF)
    mine = AssertionFactory(template=template)
    theirs = AssertionFactory(template=BadgeTemplateFactory(issuer=other_issuer.issuer))
    api = client_for(owner.user)
    assert ids(api.get("/api/v1/badges")) == {mine.entity_id, theirs.entity_id}
    only = api.get(f"/api/v1/badges?organization_id={other_issuer.issuer.entity_id}")
    assert ids(only) == {theirs.entity_id}


def test_emitted_range_is_read_in_the_issuers_zone(api, template):
    # given a badge issued 2024-05-31 23:30 UTC = 2024-06-01 01:30 in Rome
    badge = AssertionFactory(template=template, issued_on=utc(2024, 5, 31, 23, 30, 0))
    june = "emitted_after=2024-06-01 00:00:00&emitted_before=2024-06-30 23:59:59"
    assert ids(api.get(f"/api/v1/badges?{june}")) == {badge.entity_id}
    # with an explicit offset the bound is that instant
    assert ids(api.get("/api/v1/badges?emitted_after=2024-06-01T00:00:00Z")) == set()
    assert ids(api.get("/api/v1/badges?emitted_before=2024-05-31")) == set()


def test_emitted_range_uses_each_issuers_own_zone(owner, template, other_issuer):
    # given one person in a Rome organisation and a UTC one, badges at the same instant
    MembershipFactory(issuer=other_issuer.issuer, user=owner.user, role=Role.STAFF)
    when = utc(2024, 5, 31, 23, 30, 0)  # June in Rome, May in UTC
    rome = AssertionFactory(template=template, issued_on=when)
    AssertionFactory(template=BadgeTemplateFactory(issuer=other_issuer.issuer), issued_on=when)
    api = client_for(owner.user)
    assert ids(api.get("/api/v1/badges?emitted_after=2024-06-01 00:00:00")) == {rome.entity_id}


def test_expires_and_created_ranges(api, template):
    soon = AssertionFactory(template=template, expires_at=utc(2030, 1, 1, 0, 0, 0))
    later = AssertionFactory(template=template, expires_at=utc(2031, 1, 1, 0, 0, 0))
    Assertion.objects.filter(pk=soon.pk).update(created_at=utc(2024, 1, 1, 10, 0, 0))
    Assertion.objects.filter(pk=later.pk).update(created_at=utc(2024, 2, 1, 10, 0, 0))
    assert ids(api.get("/api/v1/badges?expires_before=2030-06-01")) == {soon.entity_id}
    assert ids(api.get("/api/v1/badges?expires_after=2030-06-01")) == {later.entity_id}
    # created_* are UTC: 10:00 is 10:00
    created = "created_after=2024-01-01 10:00:00&created_before=2024-01-01 10:00:00"
    assert ids(api.get(f"/api/v1/badges?{created}")) == {soon.entity_id}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("emitted_after=yesterday", "emitted_after"),
        ("created_before=2024-13-01", "created_before"),
        ("ordering=recipient_salt", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=lots", "page_size"),
        ("page=first", "page"),
    ],
)
def test_bad_query_parameters_are_400_with_the_parameter_named(api, template, query, field):
    response = api.get(f"/api/v1/badges?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]


def test_ordering(api, template):
    badges = [
        AssertionFactory(template=template, recipient_email=email)
        for email in ("b@example.org", "c@example.org", "a@example.org")
    ]
    by_email = api.get("/api/v1/badges?ordering=recipient_email").json()["results"]
    assert [b["recipient_email"] for b in by_email] == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    newest_first = api.get("/api/v1/badges").json()["results"]
    assert [b["id"] for b in newest_first] == [b.entity_id for b in reversed(badges)]
    oldest_first = api.get("/api/v1/badges?ordering=emitted_at").json()["results"]
    assert [b["id"] for b in oldest_first] == [b.entity_id for b in badges]


# --- pagination and query counts -----------------------------------------------------


def test_page_number_pagination(api, template):
    make_badges(template, 7)
    first = api.get("/api/v1/badges?page_size=3").json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = api.get("/api/v1/badges?page_size=3&page=3").json()
    assert len(last["results"]) == 1
    assert last["next"] is None
    seen = set()
    for page in (1, 2, 3):
        seen |= ids(api.get(f"/api/v1/badges?page_size=3&page={page}"))
    assert len(seen) == 7
    assert api.get("/api/v1/badges?page_size=3&page=4").status_code == 404


def test_page_size_defaults_to_50_and_is_capped_at_500(api, template):
    make_badges(template, 501)
    assert len(api.get("/api/v1/badges").json()["results"]) == 50
    capped = api.get("/api/v1/badges?page_size=10000").json()
    assert capped["count"] == 501
    assert len(capped["results"]) == 500


def _list_queries(api, n_badges, template) -> int:
    make_badges(template, n_badges, email=f"n{n_badges}@example.org")
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/badges?page_size=500&emitted_after=2000-01-01")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_10_and_100_badges(api, template, issuer):
    ten = _list_queries(api, 10, template)
    hundred = _list_queries(api, 90, BadgeTemplateFactory(issuer=issuer))
    assert ten == hundred
    print("badge list queries:", ten)
    assert ten <= 4  # token, issuer zones (for the date filter), count, page


def test_an_earners_badges_cost_the_same_queries_for_10_and_100(api, template):
    make_badges(template, 10, email="one@example.org")
    earner = Assertion.objects.filter(recipient_email="one@example.org").first().earner
    path = f"/api/v1/earners/{earner.entity_id}/badges?page_size=500"
    with CaptureQueriesContext(connection) as ten:
        assert len(api.get(path).json()["results"]) == 10
    make_badges(template, 90, email="one@example.org")
    with CaptureQueriesContext(connection) as hundred:
        assert len(api.get(path).json()["results"]) == 100
    assert len(ten.captured_queries) == len(hundred.captured_queries)


def test_dates_in_the_future_are_fine_for_expiry(api, template):
    badge = AssertionFactory(template=template)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")
    response = api.patch(f"/api/v1/badges/{badge.entity_id}", {"expires_at": future}, format="json")
    assert response.status_code == 200


def test_the_credential_url_points_at_the_signed_credential_until_revoked(api, template, client):
    badge = badge_with_known_times(template)
    url = get_badge(api, badge)["credential_url"]
    response = client.get(
        url.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT="application/vc+jwt"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assertion_revoke(assertion=badge, reason="Mistake")
    assert get_badge(api, badge)["credential_url"] is None
