"""Signing and verifying credentials: round trip, tampering, expiry, revocation, key
rotation, DIDs, and the keys' encryption at rest."""

import base64
import datetime as dt
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from assertions.services import assertion_revoke
from credentials import crypto, did, documents, services, signing, verify
from credentials.models import IssuerKey, StatusEntry, StatusList
from issuers.tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db


def checks(report) -> dict:
    return {c.name: c.status for c in report.checks}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- round trip -----------------------------------------------------------------------------


def test_a_signed_credential_verifies_with_every_check_passing(make_badge):
    # given an awarded badge
    badge = make_badge()
    # when its credential is signed and verified
    token = services.credential_sign(assertion=badge)
    (report,) = verify.verify_input(token)
    # then every check passes
    assert checks(report) == {
        "format": "pass",
        "origin": "pass",
        "issuer": "pass",
        "signature": "pass",
        "dates": "pass",
        "status": "pass",
    }
    assert report.valid
    assert report.credential["name"] == badge.badge_template_version.name


def test_the_jwt_carries_the_credential_and_its_registered_claims(make_badge):
    badge = make_badge(expires_at=timezone.now() + dt.timedelta(days=30))
    token = services.credential_sign(assertion=badge)
    header, payload = signing.unverified_parts(token)
    key = IssuerKey.objects.get(issuer=badge.organization, active=True)
    assert header == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": f"{did.issuer_did(badge.organization)}#{key.key_id}",
    }
    assert payload["iss"] == payload["issuer"]["id"] == did.issuer_did(badge.organization)
    assert payload["jti"] == payload["id"] == f"{badge.url}/credential"
    assert payload["nbf"] == int(badge.emitted_at.timestamp())
    assert payload["exp"] == int(badge.expires_at.timestamp())
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert "iat" not in payload  # signing the same credential twice gives the same token
    assert services.credential_sign(assertion=badge) == token


def test_an_enveloped_credential_and_a_bundle_verify_too(make_badge):
    first, second = make_badge(), make_badge()
    tokens = [services.credential_sign(assertion=b) for b in (first, second)]
    enveloped = json.dumps(documents.enveloped(tokens[0]))
    assert verify.verify_input(enveloped)[0].valid
    bundle = {"type": ["VerifiablePresentation"], "verifiableCredential": tokens}
    reports = verify.verify_input(json.dumps(bundle))
    assert [r.valid for r in reports] == [True, True]


# --- what must fail -------------------------------------------------------------------------


def test_a_tampered_field_breaks_the_signature(make_badge):
    # given a signed credential whose achievement name is changed afterwards
    token = services.credential_sign(assertion=make_badge())
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["credentialSubject"]["achievement"]["name"] = "Nobel Prize"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    # when it is verified
    (report,) = verify.verify_input(forged)
    # then the signature check fails and says why
    assert checks(report)["signature"] == "fail"
    assert "changed after signing" in report.summary
    assert not report.valid


def test_a_signature_by_a_key_the_issuer_does_not_publish_fails(make_badge):
    badge = make_badge()
    doc = services.credential_document(badge)
    kid = documents.verification_method_id(badge.organization, "key-1")
    forged = signing.sign(doc, signing.generate_key(), kid, "RS256")  # someone else's key, same kid
    (report,) = verify.verify_input(forged)
    assert checks(report)["signature"] == "fail"


def test_a_credential_verified_before_its_expiry_is_valid(make_badge):
    issued = timezone.now() - dt.timedelta(days=10)
    badge = make_badge(issued_on=issued, expires_at=issued + dt.timedelta(days=9))
    token = services.credential_sign(assertion=badge)
    (report,) = verify.verify_input(token, now=issued + dt.timedelta(days=1))
    assert report.valid


def test_revoking_sets_the_status_bit_and_verification_fails(make_badge, committed):
    # given a credential downloaded before its badge was revoked
    badge, other = make_badge(), make_badge()
    token = services.credential_sign(assertion=badge)
    other_token = services.credential_sign(assertion=other)
    assert verify.verify_input(token)[0].valid  # the status list is now cached
    # when the issuer revokes the badge
    with committed():
        assertion_revoke(assertion=badge, reason="Awarded by mistake")
    # then its bit is set, the list is re-signed, and the old credential is refused
    entry = StatusEntry.objects.get(assertion=badge)
    assert entry.revoked
    (report,) = verify.verify_input(token)
    assert checks(report)["signature"] == "pass"
    assert checks(report)["status"] == "fail"
    assert f"bit {entry.index}" in report.summary
    assert "revoked" in report.summary
    # and another badge of the same list is untouched
    assert verify.verify_input(other_token)[0].valid


def test_a_revoked_badge_gets_no_new_credential(make_badge):
    badge = make_badge()
    assertion_revoke(assertion=badge, reason="Mistake")
    badge.refresh_from_db()
    with pytest.raises(services.CredentialUnavailableError):
        services.credential_sign(assertion=badge)


def test_an_entry_made_after_revocation_reads_the_revoked_status(make_badge):
    badge = make_badge()
    assertion_revoke(assertion=badge, reason="Mistake")
    entry = services.status_entry_get_or_create(assertion=badge)
    assert entry.revoked


def test_status_indexes_fill_a_small_list_and_a_full_list_opens_the_next(make_badge, issuer):
    # given a list of 4 entries
    StatusList.objects.create(issuer=issuer, number=1, size=4)
    badges = [make_badge() for _ in range(5)]
    # when 5 badges get their entries
    entries = [services.status_entry_get_or_create(assertion=b) for b in badges]
    # then the first 4 take every index of list 1 (the last ones found among the free
    # ones), and the 5th opens list 2
    assert sorted(e.index for e in entries[:4]) == [0, 1, 2, 3]
    assert {e.status_list.number for e in entries[:4]} == {1}
    assert entries[4].status_list.number == 2
    assert StatusList.objects.get(issuer=issuer, number=1).allocated == 4
    # asking again returns the same entry
    assert services.status_entry_get_or_create(assertion=badges[0]).pk == entries[0].pk


def test_status_indexes_are_random_not_in_issue_order(make_badge):
    # given 20 badges downloaded one after another
    entries = [services.status_entry_get_or_create(assertion=make_badge()) for _ in range(20)]
    indexes = [e.index for e in entries]
    # then their positions say nothing of the order or the count: spread over the list
    # (all 20 below 1,000 by chance: (1000/131072)**20, never), distinct, and not sorted
    assert len(set(indexes)) == 20
    assert max(indexes) >= 1000
    assert indexes != sorted(indexes)
    assert all(0 <= i < 131_072 for i in indexes)


def test_a_random_index_already_taken_is_drawn_again(make_badge, monkeypatch):
    # given a first entry, and a random source that offers its index once more
    first = services.status_entry_get_or_create(assertion=make_badge())
    free = (first.index + 1) % 131_072
    draws = iter([first.index, first.index, free])
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(draws))
    # when another badge gets its entry
    second = services.status_entry_get_or_create(assertion=make_badge())
    # then it takes the next draw that is free
    assert second.index == free


def test_the_status_list_credential_is_signed_and_encodes_the_revoked_bits(make_badge, issuer):
    badges = [make_badge() for _ in range(3)]
    indexes = [services.status_entry_get_or_create(assertion=b).index for b in badges]
    assertion_revoke(assertion=badges[1], reason="x")
    token = services.status_list_token(issuer=issuer, number=1)
    (key,) = services.issuer_keys(issuer)
    claims = signing.verify_signature(token, key.public_jwk)
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = claims["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    bits = documents.decode_bitstring(subject["encodedList"])
    assert len(bits) == 131_072 // 8  # the spec's minimum size, for herd privacy
    assert [documents.bit_is_set(bits, i) for i in indexes] == [False, True, False]
    set_bits = sum(bin(byte).count("1") for byte in bits)
    assert set_bits == 1


# --- keys -----------------------------------------------------------------------------------


def test_every_new_issuer_gets_an_active_rs256_key(issuer):
    (key,) = IssuerKey.objects.filter(issuer=issuer)
    assert key.active
    assert key.key_id == "key-1"
    assert (key.purpose, key.algorithm) == ("jwt", "RS256")
    assert set(key.public_jwk) == {"kty", "n", "e"}
    assert key.public_jwk["kty"] == "RSA"


def test_the_private_key_is_encrypted_at_rest(issuer):
    key = IssuerKey.objects.get(issuer=issuer)
    _, private = services.signing_key(issuer)
    secret = private.as_dict(private=True)["d"]
    stored = bytes(key.private_key_encrypted)
    assert secret.encode() not in stored
    assert _unb64(secret) not in stored


def test_a_changed_encryption_key_is_reported_not_misused(issuer, settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = "another-key-of-at-least-thirty-two-characters"
    with pytest.raises(services.ApplicationError, match="another CREDENTIALS_ENCRYPTION_KEY"):
        services.signing_key(issuer)


def test_a_missing_encryption_key_is_a_configuration_error(issuer, settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="CREDENTIALS_ENCRYPTION_KEY"):
        services.signing_key(issuer)


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(issuer):
    other = IssuerFactory()
    services.issuer_key_create(issuer=other)
    stolen = IssuerKey.objects.get(issuer=issuer).private_key_encrypted
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt(stolen, context=f"{other.entity_id}#key-1")


def test_issuers_made_before_keys_existed_get_one_on_first_use(db):
    old = IssuerFactory()  # not through issuer_create
    assert not IssuerKey.objects.filter(issuer=old).exists()
    key, _ = services.signing_key(old)
    assert key.active
    assert key.issuer == old


def test_a_credential_signed_before_a_key_rotation_still_verifies(make_badge, issuer):
    # given a credential signed with the issuer's first key
    old_token = services.credential_sign(assertion=make_badge())
    # when the key is rotated
    new_key = services.issuer_key_rotate(issuer=issuer)
    # then the old key is retired but still published, and the old credential verifies
    old_key = IssuerKey.objects.get(issuer=issuer, key_id="key-1")
    assert not old_key.active
    assert old_key.retired_at is not None
    assert new_key.active
    assert new_key.key_id == "key-2"
    (report,) = verify.verify_input(old_token)
    assert report.valid, report.summary
    assert "#key-1" in next(c.detail for c in report.checks if c.name == "signature")
    # and new credentials are signed with the new key
    header, _ = signing.unverified_parts(services.credential_sign(assertion=make_badge()))
    assert header["kid"].endswith("#key-2")
    assert verify.verify_input(services.credential_sign(assertion=make_badge()))[0].valid


def test_rotation_needs_an_owner(issuer):
    from accounts.tests.factories import UserFactory
    from core.exceptions import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.issuer_key_rotate(issuer=issuer, actor=UserFactory())


# --- DIDs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("https://badges.example", "did:web:badges.example:issuers:"),
        ("http://localhost:8000", "did:web:localhost%3A8000:issuers:"),
        ("https://example.org/badges", "did:web:example.org:badges:issuers:"),
    ],
)
def test_issuer_dids_are_path_based_did_web(settings, site, expected):
    settings.SITE_URL = site
    issuer = IssuerFactory.build(entity_id="A" * 22)
    assert did.issuer_did(issuer) == expected + "A" * 22
    assert did.local_issuer_entity_id(expected + "A" * 22) == "A" * 22
    assert did.did_web_url("did:web:localhost%3A8000:issuers:" + "A" * 22) == (
        "https://localhost:8000/issuers/" + "A" * 22 + "/did.json"
    )


def test_another_sites_did_web_is_not_fetched(make_badge, settings):
    token = services.credential_sign(assertion=make_badge())
    settings.SITE_URL = "https://elsewhere.example"  # the credential is now foreign
    (report,) = verify.verify_input(token)
    assert checks(report)["issuer"] == "skip"
    assert checks(report)["signature"] == "skip"
    assert checks(report)["status"] == "skip"
    assert report.verdict == "unverified"
    assert "does not fetch" in report.summary


def test_another_jose_library_verifies_our_credentials(make_badge, issuer):
    # jwcrypto (a second, independent JOSE implementation) checks the same token
    from jwcrypto import jwk, jws

    token = services.credential_sign(assertion=make_badge())
    (key,) = services.issuer_keys(issuer)
    checker = jws.JWS()
    checker.deserialize(token)
    checker.verify(jwk.JWK(**key.public_jwk))
    assert json.loads(checker.payload)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
