"""Adding another platform's badge to a backpack: every Open Badges 2.0 check, and what
is never fetched (assertions.ob2_verify through services.imported_badge_add). The
backpack's pages: backpack/tests/test_views.py."""

import pytest
import responses

from accounts.tests.factories import UserFactory
from assertions.models import ImportedBadge
from assertions.ob2_verify import ImportRefused, verify_hosted_badge
from assertions.services import imported_badge_add
from assertions.tests.hosted_badges import ASSERTION_URL, documents, remote  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"email": "someone@else.org"}, "was not awarded to ada@example.org"),
        ({"status": 410}, "revoked"),
        ({"revoked": [ASSERTION_URL]}, "revocation list"),
        ({"changes": {"@context": "https://w3id.org/openbadges/v1"}}, "not an Open Badges 2.0"),
        ({"changes": {"verification": {"type": "signed"}}}, "Only hosted badges"),
        ({"changes": {"id": "urn:uuid:1"}}, "no URL id"),
        ({"changes": {"issuedOn": "yesterday"}}, "issuedOn is not a date"),
        ({"changes": {"issuedOn": "2999-01-01T00:00:00Z"}}, "in the future"),
        ({"issuer_host": "https://other.example"}, "does not vouch for"),
    ],
)
def test_imports_that_fail_a_check_are_refused_saying_which(
    remote,  # noqa: F811
    setup,
    message,
):
    me = UserFactory(email="ada@example.org")
    assertion, badgeclass, issuer = documents(setup.get("email", "ada@example.org"))
    assertion.update(setup.get("changes", {}))
    if "issuer_host" in setup:
        issuer["id"] = badgeclass["issuer"] = setup["issuer_host"] + "/issuers/1"
    remote(assertion, badgeclass, issuer, setup.get("revoked", ()), setup.get("status", 200))
    with pytest.raises(ImportRefused, match=message):
        imported_badge_add(user=me, url=ASSERTION_URL)
    assert not ImportedBadge.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://10.0.0.5/a", "http://[::1]/a", "ftp://files.example/a"],
)
def test_urls_on_private_networks_are_never_fetched(url):
    with responses.RequestsMock() as mock:  # any request at all would fail this test
        with pytest.raises(ImportRefused):
            verify_hosted_badge(url, ["ada@example.org"])
        assert len(mock.calls) == 0


def test_our_own_badges_are_not_imported(settings):
    settings.SITE_URL = "https://badges.example"
    with pytest.raises(ImportRefused, match="issued here"):
        verify_hosted_badge("https://badges.example/public/assertions/x", ["a@b.org"])
