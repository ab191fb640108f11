"""Another platform's hosted Open Badges 2.0 badge, for the tests of imports into a
backpack (assertions.ob2_verify, services.imported_badge_add, the backpack's pages)."""

import hashlib

import pytest
import responses

from core.testing import PUBLIC_ADDRESS, fake_dns

ELSEWHERE = "https://badges.elsewhere.example"
ASSERTION_URL = f"{ELSEWHERE}/assertions/42"


def hashed(email: str, salt: str = "pepper") -> dict:
    digest = hashlib.sha256((email + salt).encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


def documents(email="ada@example.org", **assertion_changes):
    issuer = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Issuer",
        "id": f"{ELSEWHERE}/issuers/1",
        "name": "Elsewhere University",
        "url": ELSEWHERE,
        "email": "badges@elsewhere.example",
        "revocationList": f"{ELSEWHERE}/issuers/1/revocations",
    }
    badgeclass = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "BadgeClass",
        "id": f"{ELSEWHERE}/badges/7",
        "name": "Data Literacy",
        "description": "Reads charts.",
        "image": f"{ELSEWHERE}/badges/7/image.png",
        "criteria": {"narrative": "Pass."},
        "issuer": issuer["id"],
    }
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION_URL,
        "recipient": hashed(email),
        "badge": badgeclass["id"],
        "issuedOn": "2024-03-01T10:00:00Z",
        "verification": {"type": "hosted"},
        **assertion_changes,
    }
    return assertion, badgeclass, issuer


@pytest.fixture
def remote(monkeypatch):
    """Another platform's server, played by `responses` (no network here)."""
    fake_dns(monkeypatch, {".example": PUBLIC_ADDRESS})

    def serve(assertion, badgeclass, issuer, revoked=(), status=200):
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.start()
        mock.add(responses.GET, ASSERTION_URL, json=assertion, status=status)
        mock.add(responses.GET, badgeclass["id"], json=badgeclass)
        mock.add(responses.GET, issuer["id"], json=issuer)
        mock.add(
            responses.GET,
            issuer["revocationList"],
            json={"type": "RevocationList", "revokedAssertions": [{"id": r} for r in revoked]},
        )
        return mock

    mocks = []
    yield lambda *a, **k: mocks.append(serve(*a, **k)) or mocks[-1]
    for mock in mocks:
        mock.stop()
        mock.reset()
