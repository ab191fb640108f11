"""Data Integrity proofs (DataIntegrityProof, eddsa-rdfc-2022) on the credential JSON,
offered beside the VC-JWT (`?format=ldp`): checked by 1EdTech's JSON Schema, verified by
Digital Bazaar's JavaScript libraries over the vendored contexts, and by our verifier;
tampering, another key, revocation and expiry each refused for their reason."""

import copy
import datetime as dt
import json

import pytest
from django.utils import timezone

from assertions.services import assertion_revoke
from credentials import data_integrity, did, signing, verify
from credentials.models import IssuerKey, KeyPurpose
from credentials.tests.interop import digitalbazaar_verify, schema_errors

pytestmark = pytest.mark.django_db
LDP = "application/vc+ld+json"


def checks(report) -> dict:
    return {c.name: c.status for c in report.checks}


def did_documents(client, *issuers) -> dict:
    docs = {}
    for issuer in issuers:
        doc = client.get(f"/issuers/{issuer.entity_id}/did.json").json()
        docs[doc["id"]] = doc
    return docs


def status_lists(client, issuer) -> dict:
    url = f"{did.issuer_base_url(issuer)}/status/1"
    token = client.get(f"/issuers/{issuer.entity_id}/status/1", HTTP_ACCEPT=signing.MEDIA_TYPE)
    return {url: token.content.decode()}


def verify_with_digital_bazaar(client, badge, credential: dict) -> dict:
    """Digital Bazaar's verdict, given the issuer's DID document and status list as this
    site serves them."""
    issuer = badge.organization
    docs = did_documents(client, issuer)
    return digitalbazaar_verify(credential, docs, status_lists=status_lists(client, issuer))


def fetch_ldp(client, badge) -> dict:
    response = client.get(f"/public/assertions/{badge.entity_id}/credential?format=ldp")
    assert response.status_code == 200
    assert response["Content-Type"] == LDP
    return response.json()


def test_the_credential_json_carries_an_eddsa_rdfc_2022_proof_by_the_issuers_multikey(
    client, make_badge
):
    # given a badge
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    # when its credential is fetched as JSON with a Data Integrity proof
    credential = fetch_ldp(client, badge)
    # then the proof is a DataIntegrityProof, eddsa-rdfc-2022, for assertions, by the
    # issuer's Data Integrity key, which its DID document lists as a Multikey
    (proof,) = credential["proof"]
    key = IssuerKey.objects.get(
        issuer=badge.organization, purpose=KeyPurpose.DATA_INTEGRITY, active=True
    )
    issuer_did = did.issuer_did(badge.organization)
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{issuer_did}#{key.key_id}"
    assert proof["proofValue"].startswith("z")
    doc = did_documents(client, badge.organization)[issuer_did]
    (method,) = [m for m in doc["verificationMethod"] if m["id"] == proof["verificationMethod"]]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert proof["verificationMethod"] in doc["assertionMethod"]
    # and 1EdTech's schema accepts the whole credential, proof included
    assert schema_errors(credential) == []


def test_digital_bazaars_libraries_verify_the_proof_offline(client, make_badge):
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    credential = fetch_ldp(client, badge)
    result = verify_with_digital_bazaar(client, badge, credential)
    assert result == {"verified": True, "error": ""}


def test_our_verifier_checks_the_proof_too(client, make_badge):
    badge = make_badge()
    credential = fetch_ldp(client, badge)
    (report,) = verify.verify_input(json.dumps(credential))
    assert report.valid, report.summary
    assert report.signed_with == credential["proof"][0]["verificationMethod"]
    assert report.hosted is True
    assert checks(report)["format"] == "pass"


def test_a_changed_name_fails_in_both_verifiers(client, make_badge):
    badge = make_badge()
    credential = fetch_ldp(client, badge)
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Nobel Prize"
    (report,) = verify.verify_input(json.dumps(forged))
    assert checks(report)["signature"] == "fail"
    assert "changed after signing" in report.summary
    result = verify_with_digital_bazaar(client, badge, forged)
    assert result["verified"] is False
    assert "Invalid signature" in result["error"]


def test_a_proof_by_another_key_fails_in_both_verifiers(client, make_badge):
    badge = make_badge()
    credential = fetch_ldp(client, badge)
    stranger = signing.generate_key("EdDSA")
    forged = data_integrity.sign(
        credential,
        stranger,
        credential["proof"][0]["verificationMethod"],
        credential["proof"][0]["created"],
    )
    (report,) = verify.verify_input(json.dumps(forged))
    assert checks(report)["signature"] == "fail"
    result = verify_with_digital_bazaar(client, badge, forged)
    assert result["verified"] is False


def test_a_revoked_badge_fails_the_status_check_in_both_verifiers(client, make_badge, committed):
    badge = make_badge()
    credential = fetch_ldp(client, badge)
    with committed():
        assertion_revoke(assertion=badge, reason="Mistake")
    (report,) = verify.verify_input(json.dumps(credential))
    assert checks(report)["signature"] == "pass"
    assert checks(report)["status"] == "fail"
    result = verify_with_digital_bazaar(client, badge, credential)
    assert result["verified"] is False
    assert "bit" in result["error"]


def test_an_expired_credential_fails_the_dates_check_in_both_verifiers(client, make_badge):
    issued = timezone.now() - dt.timedelta(days=10)
    badge = make_badge(issued_on=issued, expires_at=issued + dt.timedelta(days=9))
    credential = fetch_ldp(client, badge)
    (report,) = verify.verify_input(json.dumps(credential))
    assert checks(report)["signature"] == "pass"
    assert checks(report)["dates"] == "fail"
    result = verify_with_digital_bazaar(client, badge, credential)
    assert result["verified"] is False
    assert "expired" in result["error"].lower() or "validUntil" in result["error"]
