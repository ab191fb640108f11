"""The verifier says who signed a credential (the DID and the key), whether that issuer
is hosted on this site, and the status, for our credentials and for foreign ones; a
did:key credential that reuses this site's badge and issuer name is refused, saying so."""

import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from joserfc import jwt

from credentials import did, services, signing, verify

pytestmark = pytest.mark.django_db

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def checks(report) -> dict:
    return {c.name: c.status for c in report.checks}


def did_key_signer():
    """(did:key, its key id, a function signing a credential with it): an Ed25519 key
    made here, written as did:key by the method's rules (multicodec 0xed01, base58btc)."""
    key = signing.generate_key("EdDSA")
    raw = base64.urlsafe_b64decode(key.as_dict(private=False)["x"] + "=")
    number, encoded = int.from_bytes(b"\xed\x01" + raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        encoded = _B58[digit] + encoded
    did_key = "did:key:z" + encoded
    kid = f"{did_key}#z{encoded}"

    def sign(doc: dict) -> str:
        header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
        return jwt.encode(header, signing.claims_for(doc), key, algorithms=["EdDSA"])

    return did_key, kid, sign


def foreign_credential(did_key: str) -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0b6f0c5e-54a4-4bd4-8a49-3d1fdbd3c2a7",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Knot tying",
        "issuer": {"id": did_key, "type": ["Profile"], "name": "Sea Scouts"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://scouts.example/badges/knots",
                "type": ["Achievement"],
                "name": "Knot tying",
                "description": "Ties six knots.",
                "criteria": {"narrative": "Tie them."},
            },
        },
    }


def test_our_credential_names_its_hosted_issuer_the_key_and_the_status(client, make_badge):
    # given a credential of an issuer of this site
    badge = make_badge()
    token = services.credential_sign(assertion=badge)
    # when it is verified
    (report,) = verify.verify_input(token)
    # then the report says who signed it, with which key, that it is hosted here, and
    # what its status list says
    issuer_did = did.issuer_did(badge.organization)
    assert report.valid
    assert report.issuer_did == issuer_did
    assert report.signed_with == f"{issuer_did}#key-1"
    assert report.hosted is True
    assert report.issuer_name == "Acme Academy"
    assert "Not revoked" in report.status_check.detail
    assert "hosted on this site" in report.summary
    # and the page shows it
    page = client.post("/verify/", {"credential": token}).content.decode()
    assert f"<code>{issuer_did}#key-1</code>" in page
    assert "Yes: an issuer of this site." in page
    assert "Not revoked (bit" in page


def test_a_foreign_did_key_credential_is_valid_but_not_hosted_here(client):
    # given a credential of a did:key issuer that names nothing of this site
    did_key, kid, sign = did_key_signer()
    token = sign(foreign_credential(did_key))
    # when it is verified
    (report,) = verify.verify_input(token)
    # then its signature holds, and the report says whose key it is and that the issuer
    # is not one of ours
    assert report.valid, report.summary
    assert report.hosted is False
    assert report.signed_with == kid
    assert report.issuer_did == did_key
    assert "not hosted on this site" in report.summary
    assert report.status_check.detail.startswith("It has no status list")
    page = client.post("/verify/", {"credential": token}).content.decode()
    assert "No: an issuer elsewhere." in page
    assert f"<code>{kid}</code>" in page


def test_a_did_key_credential_reusing_our_badge_and_issuer_name_is_refused(client, make_badge):
    # given our badge's credential, re-signed by a stranger's did:key under our issuer's
    # name (the issue: this said "Valid")
    did_key, kid, sign = did_key_signer()
    doc = services.credential_document(make_badge())
    doc["issuer"] = {**doc["issuer"], "id": did_key}
    token = sign(doc)
    # when it is verified
    (report,) = verify.verify_input(token)
    # then it is invalid because its issuer is not hosted here, though the signature holds
    assert not report.valid
    assert checks(report)["origin"] == "fail"
    assert checks(report)["signature"] == "pass"
    assert report.hosted is False
    assert "presents itself as a badge of this site" in report.summary
    assert "is not hosted here" in report.summary
    page = client.post("/verify/", {"credential": token}).content.decode()
    assert "Invalid" in page
    assert "someone else signed it" in page


def test_the_command_prints_the_issuer_the_key_and_where_it_is_hosted(make_badge, tmp_path):
    badge = make_badge()
    path = tmp_path / "badge.jwt"
    path.write_text(services.credential_sign(assertion=badge))
    out = StringIO()
    call_command("verify_credential", str(path), stdout=out)
    issuer_did = did.issuer_did(badge.organization)
    assert f"issuer: {issuer_did} (hosted on this site)" in out.getvalue()
    assert f"signed with: {issuer_did}#key-1" in out.getvalue()
    # a stranger's copy exits non-zero with the reason
    did_key, _, sign = did_key_signer()
    doc = services.credential_document(badge)
    doc["issuer"] = {**doc["issuer"], "id": did_key}
    path.write_text(sign(doc))
    with pytest.raises(CommandError, match="is not hosted here") as error:
        call_command("verify_credential", str(path), stdout=StringIO())
    assert error.value.returncode == 1
