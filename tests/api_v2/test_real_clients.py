"""Real Badgr clients against a live server: point their base URL at us, they work.

badgrclient and badgr-lite come from PyPI (dev extra); the Open edX backend is
replayed request by request (it is part of edx-platform, not installable alone).
"""

import json
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from badgr_lite.models import BadgrLite
from badgrclient import Assertion as ClientAssertion
from badgrclient import BadgeClass as ClientBadgeClass
from badgrclient import BadgrClient
from badgrclient import Issuer as ClientIssuer
from badgrclient.exceptions import APIError
from oauth2_provider.models import get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionStatus
from core.testing import png_bytes
from issuers.models import Issuer, IssuerRequest, Role
from issuers.tests.factories import MembershipFactory, make_operator
from templates_app.tests.factories import BadgeTemplateFactory

PASSWORD = "pw-for-tests"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person():
    # Transactional tests flush the data the migrations created; put the client back.
    ensure_public_client(get_application_model())
    return UserFactory(email="lms@example.org")


def test_badgrclient_full_cycle(live_server, person, tmp_path):
    make_operator(person)  # who may create issuers (ISSUER_CREATION): an operator
    # token (password grant, client id "public")
    client = BadgrClient(
        username=person.email, password=PASSWORD, client_id="public", base_url=live_server.url
    )
    # create an issuer and a badge class with a data-URI image
    issuer = ClientIssuer(client).create(
        name="LMS Academy",
        description="Courses",
        email="lms@example.org",
        url="https://lms.example",
    )
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())
    badge = ClientBadgeClass(client).create(
        name="Course done",
        image=BadgrClient.encode_image(str(image)),
        description="Finished the course",
        issuer_eid=issuer.entityId,
        criteria_url="https://lms.example/course",
        tags=["course"],
    )
    assert badge.data["issuer"] == issuer.entityId
    # award twice, list, fetch one
    first = ClientAssertion(client).create(
        "ann@example.org",
        badge_eid=badge.entityId,
        narrative="Top marks",
        evidence=[{"url": "https://lms.example/work"}],
        notify=False,
    )
    second = ClientAssertion(client).create(
        "bob@example.org", badge_eid=badge.entityId, notify=False
    )
    listed = badge.fetch_assertions()
    assert {a.entityId for a in listed} == {first.entityId, second.entityId}
    assert {a.entityId for a in ClientIssuer(client, issuer.entityId).fetch_assertions()} == {
        first.entityId,
        second.entityId,
    }
    fetched = client.fetch_assertion(first.entityId)[0]
    assert fetched.data["narrative"] == "Top marks"
    assert [b.entityId for b in client.fetch_badgeclass()] == [badge.entityId]
    # revoke one directly and one in bulk
    first.revoke("Mistake")
    bulk = client.revoke_assertions([second.entityId], reason="Course cancelled")
    assert bulk["result"] == [{"entityId": second.entityId, "revoked": True}]
    assert set(Assertion.objects.values_list("status", flat=True)) == {AssertionStatus.REVOKED}
    # refresh the token and keep working
    client._get_auth_token(None, None)
    assert client.fetch_issuer(issuer.entityId)[0].data["name"] == "LMS Academy"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("closed", "Issuers are created by the platform's operators"),
        ("approval", "has been sent to the platform's operators for approval"),
    ],
)
def test_badgrclient_shows_why_it_may_not_create_an_issuer(
    live_server, person, settings, mode, reason
):
    # given an account that is not an operator, under each restricted setting
    settings.ISSUER_CREATION = mode
    client = BadgrClient(
        username=person.email, password=PASSWORD, client_id="public", base_url=live_server.url
    )
    # when the client creates an issuer, then it raises its error with our reason
    with pytest.raises(APIError, match=reason):
        ClientIssuer(client).create(
            name="LMS Academy", description="", email="lms@example.org", url=""
        )
    # and no issuer exists, and the account did not become staff
    assert not Issuer.objects.exists()
    person.refresh_from_db()
    assert not person.is_staff
    assert IssuerRequest.objects.filter(requested_by=person).count() == (mode == "approval")


def _badgr_io_to(live_url):
    """badgr-lite hard-codes https://api.badgr.io; send its requests to our server."""
    target = urlsplit(live_url)

    class Redirected:
        @staticmethod
        def _rewrite(url):
            parts = urlsplit(url)
            return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))

        @classmethod
        def get(cls, url, **kwargs):
            return requests.get(cls._rewrite(url), **kwargs)

        @classmethod
        def post(cls, url, **kwargs):
            return requests.post(cls._rewrite(url), **kwargs)

    return Redirected


def test_badgr_lite_lists_and_awards_and_refreshes(live_server, person, tmp_path, monkeypatch):
    membership = MembershipFactory(user=person, role=Role.OWNER)
    template = BadgeTemplateFactory(issuer=membership.issuer, name="Lite badge")
    monkeypatch.setattr("badgr_lite.models.requests", _badgr_io_to(live_server.url))
    # the token file as its README makes it: curl -d username=..&password=.. /o/token
    token = requests.post(
        f"{live_server.url}/o/token", data={"username": person.email, "password": PASSWORD}
    ).json()
    token_file = tmp_path / "token.json"
    # an expired access token forces badgr-lite through its refresh path first
    token_file.write_text(json.dumps({**token, "access_token": "expired"}))
    lite = BadgrLite(token_filename=str(token_file))

    badges = lite.badges
    assert [b.entity_id for b in badges] == [template.entity_id]
    awarded = lite.award_badge(
        template.entity_id,
        {
            "recipient": {"identity": "joe@example.com"},
            "notify": False,
            "evidence": [{"url": "http://example.com/", "narrative": "Did the prereqs"}],
        },
    )
    assert Assertion.objects.get(entity_id=awarded.entity_id).recipient_email == "joe@example.com"
    assert json.loads(token_file.read_text())["access_token"] != "expired"


def test_open_edx_badgr_backend_request_sequence(live_server, person):
    """The requests lms/djangoapps/badges/backends/badgr.py makes, in order."""
    membership = MembershipFactory(user=person, role=Role.OWNER)
    base = live_server.url
    # 1. token: only username and password, no client id, no grant type
    tokens = requests.post(f"{base}/o/token", data={"username": person.email, "password": PASSWORD})
    assert tokens.status_code == 200
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    # 2. is the badge class there yet? (its slug is still empty) -> not 200
    probe = requests.get(f"{base}/v2/badgeclasses/", headers=headers)
    assert probe.status_code != 200
    # 3. create it, multipart with criteriaUrl and an image file
    created = requests.post(
        f"{base}/v2/issuers/{membership.issuer.entity_id}/badgeclasses",
        headers=headers,
        data={
            "name": "edX course",
            "criteriaUrl": "https://lms.example/c/1",
            "description": "Passed",
        },
        files={"image": ("badge.png", png_bytes(), "image/png")},
    )
    assert created.status_code == 201, created.text
    slug = created.json()["result"][0]["entityId"]
    assert requests.get(f"{base}/v2/badgeclasses/{slug}", headers=headers).status_code == 200
    # 4. award with an email recipient and evidence
    award = requests.post(
        f"{base}/v2/badgeclasses/{slug}/assertions",
        headers=headers,
        json={
            "recipient": {"identity": "learner@example.org", "type": "email"},
            "evidence": [{"url": "https://lms.example/cert/1"}],
            "notify": False,
        },
    )
    assert award.status_code == 201, award.text
    data = award.json()["result"][0]
    assert data["image"].startswith("http")
    assert data["openBadgeId"].endswith(f"/public/assertions/{data['entityId']}")
    # 5. renew with the refresh token only
    renewed = requests.post(
        f"{base}/o/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
    )
    assert renewed.status_code == 200, renewed.text
