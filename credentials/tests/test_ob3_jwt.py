"""VC-JWTs as Open Badges 3.0 §8.2 says (RS256 by default, ES256 as an option, typ JWT, a
kid the issuer's did:web document lists, and the claims iss, jti, nbf, exp, sub), checked
by 1EdTech's official JSON Schema and by npm `jose`; the keys from before (Ed25519) still
verify what they signed; rotation and withdrawal for every key type; and tampering, each
refused for its own reason by both verifiers."""

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone
from joserfc import jwt as jose_jwt
from joserfc.jwk import OctKey

from assertions.models import Assertion
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError
from credentials import crypto, did, documents, services, signing, verify
from credentials.models import IssuerKey, KeyAlgorithm, KeyPurpose
from credentials.tests.interop import jose_verify, schema_errors
from issuers.services import issuer_create
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def checks(report) -> dict:
    return {c.name: c.status for c in report.checks}


def did_document(client, issuer) -> dict:
    response = client.get(f"/issuers/{issuer.entity_id}/did.json")
    assert response.status_code == 200
    return response.json()


def _loaded(badge) -> Assertion:
    return Assertion.objects.select_related(
        "organization", "earner", "badge_template_version__template"
    ).get(pk=badge.pk)


def _parts(token: str) -> tuple[dict, dict]:
    return signing.unverified_parts(token)


def _resign_with(token: str, change, key, *, alg: str = "RS256") -> str:
    """The token's header and claims, changed by `change`, signed again by `key`."""
    header, claims = _parts(token)
    change(claims)
    return jose_jwt.encode(header, claims, key, algorithms=[alg])


def _forge(token: str, change) -> str:
    """The token with changed claims and its original signature (no key needed)."""
    header, payload, signature = token.split(".")
    _, claims = _parts(token)
    change(claims)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, body, signature])


# --- header and claims ----------------------------------------------------------------------


def test_a_new_issuer_signs_rs256_jwts_with_a_2048_bit_key_its_did_lists(client, make_badge):
    # given a badge of a new issuer that expires
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    # when its credential is signed
    token = services.credential_sign(assertion=badge)
    header, claims = _parts(token)
    # then the header is what OB 3.0 §8.2 requires
    issuer_did = did.issuer_did(badge.organization)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": f"{issuer_did}#key-1"}
    # and the kid resolves, in the issuer's did:web document, to an RSA key of 2048+ bits
    doc = did_document(client, badge.organization)
    (method,) = [m for m in doc["verificationMethod"] if m["id"] == header["kid"]]
    assert header["kid"] in doc["assertionMethod"]
    public = signing.load_public_key(method["publicKeyJwk"]).raw_value
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size >= 2048
    # and the registered claims mirror the credential
    assert claims["iss"] == claims["issuer"]["id"] == issuer_did
    assert claims["jti"] == claims["id"] == f"{badge.url}/credential"
    assert claims["nbf"] == int(badge.emitted_at.timestamp())
    assert claims["exp"] == int(badge.expires_at.timestamp())
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["sub"].startswith("urn:uuid:")


def test_the_subject_id_is_stable_per_earner_and_issuer(make_badge, issuer):
    # given two badges of one earner and one of another earner, from one issuer
    email = "ada@learners.example"
    first, second = make_badge(recipient_email=email), make_badge(recipient_email=email)
    stranger = make_badge()
    assert first.earner_id == second.earner_id
    # when their credentials are signed
    subs = [_parts(services.credential_sign(assertion=b))[1]["sub"] for b in (first, second)]
    other = _parts(services.credential_sign(assertion=stranger))[1]["sub"]
    # then one earner is one subject, and another earner another
    assert subs[0] == subs[1]
    assert other != subs[0]
    # and the same address at another issuer is another subject there
    elsewhere = issuer_create(name="Other School", email="o@other.example")
    theirs = _loaded(
        AssertionFactory(template=BadgeTemplateFactory(issuer=elsewhere), recipient_email=email)
    )
    assert _parts(services.credential_sign(assertion=theirs))[1]["sub"] != subs[0]


@pytest.mark.parametrize("expires", [False, True])
def test_the_credential_in_the_jwt_validates_against_1edtechs_schema(make_badge, expires):
    # given a badge with evidence, activity dates and a narrative (and maybe an expiry)
    now = timezone.now()
    badge = make_badge(
        expires_at=now + dt.timedelta(days=30) if expires else None,
        evidence=[{"url": "https://acme.example/work/1", "narrative": "Built a bridge."}],
        narrative="Did the *work*.",
    )
    # when its JWT is decoded
    _, claims = _parts(services.credential_sign(assertion=badge))
    # then 1EdTech's AchievementCredential JSON Schema finds nothing wrong
    assert schema_errors(claims) == []


def test_the_schema_check_catches_what_it_should(make_badge):
    # a guard on the check itself: a credential without its subject is refused
    _, claims = _parts(services.credential_sign(assertion=make_badge()))
    del claims["credentialSubject"]
    assert any("credentialSubject" in error for error in schema_errors(claims))


def test_npm_jose_verifies_the_credential_with_the_key_the_did_document_lists(client, make_badge):
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    token = services.credential_sign(assertion=badge)
    result = jose_verify(token, did_document(client, badge.organization))
    assert result["ok"], result
    assert result["header"]["alg"] == "RS256"
    assert result["payload"]["sub"] == result["payload"]["credentialSubject"]["id"]


def test_es256_is_an_option_and_both_verifiers_accept_it(client, settings):
    # given an issuer made while the platform's JWT algorithm is ES256
    settings.CREDENTIALS_JWT_ALGORITHM = "ES256"
    issuer = issuer_create(name="Elliptic College", email="e@ec.example")
    badge = _loaded(AssertionFactory(template=BadgeTemplateFactory(issuer=issuer)))
    # when its credential is signed
    token = services.credential_sign(assertion=badge)
    # then it is an ES256 JWT of a P-256 key that jose and our verifier accept
    header, claims = _parts(token)
    assert (header["alg"], header["typ"]) == ("ES256", "JWT")
    key = IssuerKey.objects.get(issuer=issuer, active=True)
    assert (key.algorithm, key.public_jwk["crv"]) == ("ES256", "P-256")
    assert jose_verify(token, did_document(client, issuer))["ok"]
    assert verify.verify_input(token)[0].valid
    assert schema_errors(claims) == []


def test_the_status_list_credential_has_the_same_header_and_claims(client, make_badge, issuer):
    # given a badge with a status entry (its credential was signed once)
    services.credential_sign(assertion=make_badge())
    # when the issuer's status list is fetched
    token = client.get(f"/issuers/{issuer.entity_id}/status/1", HTTP_ACCEPT=signing.MEDIA_TYPE)
    token = token.content.decode()
    header, claims = _parts(token)
    # then it is an RS256 JWT with typ JWT and the §8.2 claims, which jose verifies
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    url = f"{did.issuer_base_url(issuer)}/status/1"
    assert claims["iss"] == did.issuer_did(issuer)
    assert claims["jti"] == url
    assert claims["sub"] == f"{url}#list"
    assert isinstance(claims["nbf"], int)
    assert jose_verify(token, did_document(client, issuer))["ok"]


# --- keys from before, rotation, withdrawal -------------------------------------------------


def _legacy_ed25519_key(issuer) -> tuple[IssuerKey, object]:
    """The issuer's active key made Ed25519, as every key was before OB 3.0 conformance."""
    IssuerKey.objects.filter(issuer=issuer).delete()
    private = signing.generate_key("EdDSA")
    row = IssuerKey.objects.create(
        issuer=issuer,
        key_id="key-1",
        algorithm=KeyAlgorithm.EDDSA,
        public_jwk=private.as_dict(private=False),
        private_key_encrypted=crypto.encrypt(
            signing.private_key_bytes(private), context=f"{issuer.entity_id}#key-1"
        ),
    )
    return row, private


def test_credentials_signed_by_the_old_ed25519_key_still_verify_after_the_switch(
    client, make_badge, issuer
):
    # given a credential signed the old way (EdDSA, typ vc+jwt) by the issuer's Ed25519 key
    old_key, private = _legacy_ed25519_key(issuer)
    badge = make_badge()
    doc = services.credential_document(badge)
    kid = documents.verification_method_id(issuer, "key-1")
    old_token = jose_jwt.encode(
        {"alg": "EdDSA", "typ": "vc+jwt", "kid": kid},
        signing.claims_for(doc),
        private,
        algorithms=["EdDSA"],
    )
    # when the issuer signs its next credential
    new_token = services.credential_sign(assertion=badge)
    # then that one is RS256 by a new key, and the Ed25519 key is retired, still published
    header, _ = _parts(new_token)
    assert header["alg"] == "RS256"
    assert header["kid"].endswith("#key-2")
    old_key.refresh_from_db()
    assert not old_key.active
    assert old_key.withdrawn_at is None
    listed = {m["id"] for m in did_document(client, issuer)["verificationMethod"]}
    assert {kid, header["kid"]} <= listed
    # and both credentials verify
    assert verify.verify_input(old_token)[0].valid
    assert verify.verify_input(new_token)[0].valid


@pytest.mark.parametrize(
    ("purpose", "algorithm"),
    [
        (KeyPurpose.JWT, KeyAlgorithm.RS256),
        (KeyPurpose.JWT, KeyAlgorithm.ES256),
        (KeyPurpose.DATA_INTEGRITY, KeyAlgorithm.EDDSA),
    ],
)
def test_rotation_and_withdrawal_work_for_every_key_type(client, issuer, purpose, algorithm):
    # given the issuer's key of a purpose, rotated to an algorithm
    first = services.issuer_key_create(issuer=issuer, purpose=purpose)
    rotated = services.issuer_key_rotate(issuer=issuer, purpose=purpose, algorithm=algorithm)
    first.refresh_from_db()
    # then the new key signs and the old one stays published
    assert (rotated.active, rotated.algorithm, rotated.purpose) == (True, algorithm, purpose)
    assert not first.active
    listed = {m["id"] for m in did_document(client, issuer)["verificationMethod"]}
    assert documents.verification_method_id(issuer, first.key_id) in listed
    # when the new key is withdrawn
    with_new = services.issuer_key_withdraw(key=rotated)
    # then it is no longer published, and a key of the same purpose and algorithm signs
    listed = {m["id"] for m in did_document(client, issuer)["verificationMethod"]}
    assert documents.verification_method_id(issuer, rotated.key_id) not in listed
    assert (with_new.active, with_new.algorithm, with_new.purpose) == (True, algorithm, purpose)
    # and the other purpose's active key was left alone
    other = KeyPurpose.JWT if purpose == KeyPurpose.DATA_INTEGRITY else KeyPurpose.DATA_INTEGRITY
    assert (
        IssuerKey.objects.filter(issuer=issuer, purpose=other, withdrawn_at__isnull=False).count()
        == 0
    )


def test_a_jwt_key_cannot_be_ed25519_nor_a_data_integrity_key_rsa(issuer):
    with pytest.raises(ApplicationError) as jwt_error:
        services.issuer_key_rotate(issuer=issuer, algorithm="EdDSA")
    assert jwt_error.value.field_errors["algorithm"]
    with pytest.raises(ApplicationError):
        services.issuer_key_rotate(
            issuer=issuer, purpose=KeyPurpose.DATA_INTEGRITY, algorithm="RS256"
        )


# --- tampering: each refused for its own reason, by us and by jose -------------------------


@pytest.fixture
def signed(client, make_badge):
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    token = services.credential_sign(assertion=badge)
    return badge, token, did_document(client, badge.organization)


def test_a_changed_name_breaks_the_signature(signed):
    _, token, doc = signed
    forged = _forge(token, lambda c: c["credentialSubject"]["achievement"].update(name="PhD"))
    (report,) = verify.verify_input(forged)
    assert checks(report)["signature"] == "fail"
    assert "changed after signing" in report.summary
    assert jose_verify(forged, doc)["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


def test_a_pushed_back_expiry_breaks_the_signature(signed):
    _, token, doc = signed
    later = timezone.now() + dt.timedelta(days=3650)

    def extend(claims):
        claims["validUntil"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
        claims["exp"] = int(later.timestamp())

    forged = _forge(token, extend)
    (report,) = verify.verify_input(forged)
    assert checks(report)["signature"] == "fail"
    assert checks(report)["dates"] == "pass"  # the dates agree: only the signature tells
    assert jose_verify(forged, doc)["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


def test_a_signature_by_another_key_under_the_issuers_kid_fails(signed):
    _, token, doc = signed
    forged = _resign_with(token, lambda c: None, signing.generate_key("RS256"))
    (report,) = verify.verify_input(forged)
    assert checks(report)["signature"] == "fail"
    assert "signed by another key" in report.summary
    assert jose_verify(forged, doc)["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


def test_a_header_claiming_another_algorithm_than_the_key_fails(signed, issuer):
    # an HS256 token "signed" with the public key as secret (algorithm confusion)
    _, token, _ = signed
    header, claims = _parts(token)
    secret = OctKey.import_key(json.dumps(services.issuer_keys(issuer)[-1].public_jwk))
    forged = jose_jwt.encode({**header, "alg": "HS256"}, claims, secret, algorithms=["HS256"])
    (report,) = verify.verify_input(forged)
    assert not report.valid
    assert checks(report)["format"] == "fail"


def test_a_revoked_badge_fails_the_status_check(signed, committed):
    badge, token, doc = signed
    with committed():
        assertion_revoke(assertion=badge, reason="Awarded by mistake")
    (report,) = verify.verify_input(token)
    assert checks(report)["signature"] == "pass"
    assert checks(report)["status"] == "fail"
    assert "revoked by its issuer" in report.summary
    assert jose_verify(token, doc)["ok"]  # jose checks the signature only: still sound


def test_an_expired_credential_fails_the_dates_check(client, make_badge):
    issued = timezone.now() - dt.timedelta(days=10)
    badge = make_badge(issued_on=issued, expires_at=issued + dt.timedelta(days=9))
    token = services.credential_sign(assertion=badge)
    (report,) = verify.verify_input(token)
    assert checks(report)["signature"] == "pass"
    assert checks(report)["dates"] == "fail"
    assert "expired on" in report.summary
    assert jose_verify(token, did_document(client, badge.organization))["code"] == (
        "ERR_JWT_EXPIRED"
    )
