"""Open Badges 3.0 documents: pure functions, model instances in, dicts out.

- the `OpenBadgeCredential` of an assertion (VC Data Model 2.0 + OB 3.0 contexts),
- the issuer's `Profile`, the `Achievement` of a badge template version, the
  `AchievementSubject` (the earner, as a salted hashed email `IdentityObject`),
- the issuer's DID document and JWKS,
- the `BitstringStatusListCredential` of a status list.

Ids reuse the Open Badges 2.0 URL builders (assertions.openbadges), so an Achievement
and the hosted BadgeClass of the same version share one URL. docs/open-badges-3.md
explains the mapping.
"""

import base64
import gzip
import io
import uuid

from assertions import openbadges
from core.timefmt import format_iso_z
from credentials import did as dids

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_CONTEXTS = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/jws-2020/v1",
    "https://w3id.org/security/multikey/v1",
]
# The namespace of the earners' credential subject ids (uuid5, see subject_id).
SUBJECT_NAMESPACE = uuid.UUID("6f1c3f0e-5b7a-4c55-9d1e-0b5f3a4e2c71")
# The largest status list accepted when decoding (16 Mi entries).
STATUS_LIST_MAX_BYTES = 16 * 1024 * 1024 // 8

# The template kinds as OB 3.0 achievement types (its enumeration has no "skills" or
# "participation"; these are the nearest terms it defines).
ACHIEVEMENT_TYPES = {
    "skills": "Competency",
    "participation": "Badge",
    "knowledge": "Achievement",
    "qualification": "Certification",
}


# --- URLs ---------------------------------------------------------------------------------


def credential_url(assertion) -> str:
    """Where the signed credential of an assertion is served; also the credential's id."""
    return f"{openbadges.assertion_url(assertion)}/credential"


def status_list_url(issuer, number: int) -> str:
    return f"{dids.issuer_base_url(issuer)}/status/{number}"


def jwks_url(issuer) -> str:
    return f"{dids.issuer_base_url(issuer)}/jwks.json"


def verification_method_id(issuer, key_id: str) -> str:
    return f"{dids.issuer_did(issuer)}#{key_id}"


# --- the credential -----------------------------------------------------------------------


def _image(url: str | None, caption: str = "") -> dict | None:
    if not url:
        return None
    image = {"id": url, "type": "Image"}
    if caption:
        image["caption"] = caption
    return image


def profile(issuer) -> dict:
    """The issuer's Profile; its id is the issuer's did:web."""
    doc = {
        "id": dids.issuer_did(issuer),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url or openbadges.issuer_url(issuer),
        "email": issuer.email,
    }
    if issuer.description:
        doc["description"] = issuer.description
    image = _image(openbadges.file_url(issuer.image), issuer.name)
    if image:
        doc["image"] = image
    return doc


def achievement(version, issuer_profile: dict | None = None) -> dict:
    """The Achievement of one immutable template version (its template loaded)."""
    template = version.template
    criteria = {}
    if version.criteria_url:
        criteria["id"] = version.criteria_url
    if version.criteria_narrative:
        criteria["narrative"] = version.criteria_narrative
    doc = {
        "id": openbadges.badgeclass_url(template, version),
        "type": ["Achievement"],
        "name": version.name,
        # Required by OB 3.0; a template may have none.
        "description": version.description or version.name,
        "criteria": criteria or {"narrative": version.name},
        "achievementType": ACHIEVEMENT_TYPES.get(version.kind, "Achievement"),
    }
    image = _image(openbadges.file_url(version.image), version.name)
    if image:
        doc["image"] = image
    if issuer_profile:
        doc["creator"] = issuer_profile
    if version.tags:
        doc["tag"] = [str(t) for t in version.tags]
    alignments = [_alignment(a) for a in version.alignments or [] if a.get("targetUrl")]
    if alignments:
        doc["alignment"] = alignments
    return doc


def _alignment(item: dict) -> dict:
    doc = {"type": ["Alignment"], "targetName": item.get("targetName") or item["targetUrl"]}
    for key in ("targetUrl", "targetDescription", "targetFramework", "targetCode"):
        if item.get(key):
            doc[key] = item[key]
    return doc


def subject_id(issuer, earner) -> str:
    """The earner's stable id as a credential subject (the JWT's `sub`, OB 3.0 §8.2): a
    `urn:uuid:` of the issuer's DID and the earner's entity id, so every badge of one
    earner from one issuer names the same subject, and nothing of the earner shows."""
    name = f"{dids.issuer_did(issuer)}/earners/{earner.entity_id}"
    return f"urn:uuid:{uuid.uuid5(SUBJECT_NAMESPACE, name)}"


def person_profile_id(user) -> str:
    """A person's id as the OB 3.0 API's Profile gives it: a `urn:uuid:` of this site and
    the account's entity id, stable for the account's life."""
    name = f"{dids.issuers_prefix()}users/{user.entity_id}"
    return f"urn:uuid:{uuid.uuid5(SUBJECT_NAMESPACE, name)}"


def person_profile(user) -> dict:
    """The OB 3.0 Profile of an account (getProfile)."""
    doc = {
        "id": person_profile_id(user),
        "type": ["Profile"],
        "name": f"{user.first_name} {user.last_name}".strip() or user.email,
        "email": user.email,
    }
    if user.first_name:
        doc["givenName"] = user.first_name
    if user.last_name:
        doc["familyName"] = user.last_name
    return doc


def achievement_subject(assertion, achievement_doc: dict) -> dict:
    """The earner: a stable id (`subject_id`) and the salted sha256 of their email (as in
    OB 2.0, the credential does not publish the address)."""
    doc = {
        "id": subject_id(assertion.organization, assertion.earner),
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": assertion.recipient_hash,
                "identityType": "emailAddress",
                "hashed": True,
                "salt": assertion.recipient_salt,
            }
        ],
        "achievement": achievement_doc,
    }
    if assertion.activity_started_at:
        doc["activityStartDate"] = format_iso_z(assertion.activity_started_at)
    if assertion.activity_ended_at:
        doc["activityEndDate"] = format_iso_z(assertion.activity_ended_at)
    if assertion.narrative:
        doc["narrative"] = assertion.narrative
    return doc


def status_entry(issuer, number: int, index: int) -> dict:
    url = status_list_url(issuer, number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def credential(assertion, *, status: dict | None = None, issuer_profile: dict | None = None):
    """The OpenBadgeCredential of an assertion (organization, template version and its
    template loaded). `status`: its `status_entry(...)`."""
    issuer_profile = issuer_profile or profile(assertion.organization)
    version = assertion.badge_template_version
    doc = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_url(assertion),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": version.name,
        "issuer": issuer_profile,
        "validFrom": format_iso_z(assertion.emitted_at),
        "awardedDate": format_iso_z(assertion.emitted_at),
        "credentialSubject": achievement_subject(assertion, achievement(version)),
    }
    if version.description:
        doc["description"] = version.description
    if assertion.expires_at:
        doc["validUntil"] = format_iso_z(assertion.expires_at)
    if status:
        doc["credentialStatus"] = status
    if assertion.evidence:
        doc["evidence"] = [_evidence(item) for item in assertion.evidence]
    return doc


def _evidence(item: dict) -> dict:
    doc = {"type": ["Evidence"]}
    if item.get("url"):
        doc["id"] = item["url"]
    if item.get("narrative"):
        doc["narrative"] = item["narrative"]
    return doc


# --- status lists -------------------------------------------------------------------------


def encode_bitstring(size: int, set_indexes) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring; index 0 is the
    most significant bit of the first byte (W3C Bitstring Status List)."""
    bits = bytearray((size + 7) // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    body = encoded[1:]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    # A status list is 16 KiB to a few MiB; refuse what inflates far beyond (a gzip bomb).
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        out = stream.read(STATUS_LIST_MAX_BYTES + 1)
    if len(out) > STATUS_LIST_MAX_BYTES:
        raise ValueError("the status list is too large")
    return out


def bit_is_set(bitstring: bytes, index: int) -> bool:
    if index < 0 or index // 8 >= len(bitstring):
        raise IndexError("status index outside the list")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(issuer, number: int, size: int, revoked_indexes, *, valid_from):
    url = status_list_url(issuer, number)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dids.issuer_did(issuer),
        "validFrom": format_iso_z(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(size, revoked_indexes),
        },
    }


# --- keys ---------------------------------------------------------------------------------


def verification_method(issuer, key) -> dict:
    """A key as its DID document lists it: VC-JWT keys as JsonWebKey2020 (a JWK, what JOSE
    libraries take); Data Integrity keys as Multikey (`publicKeyMultibase`, what
    eddsa-rdfc-2022 verifiers take)."""
    method = {
        "id": verification_method_id(issuer, key.key_id),
        "type": "JsonWebKey2020",
        "controller": dids.issuer_did(issuer),
    }
    if key.purpose == "data_integrity":
        method["type"] = "Multikey"
        method["publicKeyMultibase"] = dids.multikey(key.public_jwk)
    else:
        method["publicKeyJwk"] = dict(key.public_jwk)
    return method


def did_document(issuer, keys) -> dict:
    """`keys`: the issuer's IssuerKeys, retired ones included (they verify what they
    signed before a rotation)."""
    did = dids.issuer_did(issuer)
    methods = [verification_method(issuer, key) for key in keys]
    ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "alsoKnownAs": [openbadges.issuer_url(issuer)],
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


def jwks(issuer, keys) -> dict:
    return {
        "keys": [
            {
                **key.public_jwk,
                "kid": verification_method_id(issuer, key.key_id),
                "use": "sig",
                "alg": key.algorithm,
            }
            for key in keys
        ]
    }


def enveloped(token: str) -> dict:
    """A VC-JWT as JSON: the VC Data Model 2.0 EnvelopedVerifiableCredential."""
    return {
        "@context": VC_CONTEXT,
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
