"""The Open Badges 2.0 documents, checked against the spec's rules."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from assertions import openbadges
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from issuers.tests.factories import IssuerFactory
from templates_app.services import template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

SITE = "https://badges.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def test_assertion_document_has_every_required_property_and_a_salted_hash():
    # given an awarded badge with an expiry, narrative and evidence
    expires = timezone.now() + dt.timedelta(days=365)
    badge = AssertionFactory(
        recipient_email="Ada@Example.org",
        expires_at=expires,
        narrative="Built a *thing*.",
        evidence=[{"url": "https://work.example/1", "narrative": "The repo"}, {"narrative": "x"}],
    )
    # when its document is built
    doc = openbadges.assertion_document(badge)
    # then it is a hosted OB 2.0 assertion at its own URL
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["type"] == "Assertion"
    assert doc["id"] == f"{SITE}/public/assertions/{badge.entity_id}" == badge.url
    assert doc["verification"] == {"type": "hosted"}
    assert doc["badge"] == f"{SITE}/public/badges/{badge.badge_template.entity_id}/versions/1"
    assert doc["image"] == f"{SITE}/public/assertions/{badge.entity_id}/image"
    assert doc["issuedOn"].endswith("Z")
    assert doc["expires"] == expires.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["narrative"] == "Built a *thing*."
    assert doc["evidence"] == [
        {"type": "Evidence", "id": "https://work.example/1", "narrative": "The repo"},
        {"type": "Evidence", "narrative": "x"},
    ]
    # and the recipient is sha256(email + salt), never the email itself
    recipient = doc["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    digest = hashlib.sha256(("ada@example.org" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${digest}"
    assert "ada@example.org" not in str(doc).lower()


def test_optional_properties_are_left_out_rather_than_null():
    doc = openbadges.assertion_document(AssertionFactory(expires_at=None))
    assert not {"expires", "narrative", "evidence"} & set(doc)
    assert None not in doc.values()


def test_revoked_document_says_revoked_with_the_reason():
    badge, _ = assertion_revoke(assertion=AssertionFactory(), reason="Issued by mistake")
    assert openbadges.revoked_assertion_document(badge) == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": badge.url,
        "revoked": True,
        "revocationReason": "Issued by mistake",
    }


def test_badgeclass_of_an_old_version_shows_that_version_and_the_template_id_the_current():
    # given a badge issued on version 1, then the template renamed (version 2)
    template = BadgeTemplateFactory(name="First", tags=["a"], description="")
    badge = AssertionFactory(template=template)
    template_update(
        template=template,
        name="Second",
        alignments=[{"targetName": "ESCO", "targetUrl": "https://esco.example/1"}],
    )
    template.refresh_from_db()
    v1 = badge.badge_template_version
    # when the BadgeClass documents are built
    old = openbadges.badgeclass_document(v1)
    current = openbadges.badgeclass_document(template.current_version, versioned=False)
    # then the assertion's badge is version 1, as awarded
    assert old["id"] == openbadges.assertion_document(badge)["badge"]
    assert old["name"] == "First"
    assert old["description"] == "First"  # required by OB 2.0; the name stands in
    assert old["tags"] == ["a"]
    assert "alignment" not in old
    # and the template's own id shows the current version
    assert current["id"] == f"{SITE}/public/badges/{template.entity_id}"
    assert current["name"] == "Second"
    assert current["alignment"] == [
        {"type": "AlignmentObject", "targetName": "ESCO", "targetUrl": "https://esco.example/1"}
    ]
    for doc in (old, current):
        assert doc["type"] == "BadgeClass"
        assert doc["issuer"] == f"{SITE}/public/issuers/{template.issuer.entity_id}"
        assert doc["image"].startswith(f"{SITE}/media/badge-versions/")
        assert doc["criteria"] == {
            "id": "https://issuer.example/criteria",
            "narrative": "Complete the course.",
        }


def test_issuer_profile_has_url_email_and_revocation_list():
    issuer = IssuerFactory(url="", description="We teach.")
    doc = openbadges.issuer_document(issuer)
    assert doc["type"] == "Issuer"
    assert doc["id"] == f"{SITE}/public/issuers/{issuer.entity_id}"
    assert doc["url"] == doc["id"]  # required: the public page when there is no website
    assert doc["email"] == issuer.email
    assert doc["description"] == "We teach."
    assert doc["revocationList"] == f"{doc['id']}/revocations"


def test_revocation_list_names_revoked_assertions_with_reasons():
    issuer = IssuerFactory()
    doc = openbadges.revocation_list_document(issuer, [("a" * 22, "Cheated"), ("b" * 22, "")])
    assert doc["type"] == "RevocationList"
    assert doc["issuer"] == openbadges.issuer_url(issuer)
    assert doc["revokedAssertions"] == [
        {"id": f"{SITE}/public/assertions/{'a' * 22}", "revocationReason": "Cheated"},
        {"id": f"{SITE}/public/assertions/{'b' * 22}"},
    ]


def test_image_urls_use_the_open_badge_api_names_and_fall_back_for_old_versions():
    version = BadgeTemplateFactory().current_version
    urls = openbadges.badge_image_urls(version)
    assert set(urls) == {"image_path", "image_high_path", "image_thumbnail_path"}
    assert urls["image_high_path"].endswith("-high.png")
    assert urls["image_thumbnail_path"].endswith("-thumb.png")
    # a version made before renditions existed
    version.image_high.name = version.image_thumbnail.name = ""
    old = openbadges.badge_image_urls(version)
    assert old["image_high_path"] == old["image_thumbnail_path"] == old["image_path"]
