"""The credential against the Open Badges 3.0 data model (1EdTech, OB 3.0 §B): every
property the spec requires of OpenBadgeCredential, Profile, Achievement and
AchievementSubject (and of the classes they hold), checked one by one; and every term
the credential uses is defined by the JSON-LD contexts it names (the local copies).

No registry package ships the 1EdTech OB 3.0 JSON Schema (npm and PyPI searched: only
the JSON-LD contexts are published there), so the required properties are checked here
by hand rather than by schema validation.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from credentials import contexts, documents, services, signing
from templates_app.models import Kind
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")
# OB 3.0 AchievementType enumeration (values this platform can emit are among them).
ACHIEVEMENT_TYPES = {
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment",
    "AssociateDegree", "Award", "Badge", "BachelorDegree", "Certificate",
    "CertificateOfCompletion", "Certification", "CommunityService", "Competency",
    "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork",
    "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram", "License",
    "Membership", "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate",
    "MasterDegree", "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
}  # fmt: skip
IDENTIFIER_TYPES = {
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId",
    "sisSourcedId", "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId",
    "ltiUserId", "identifier",
}  # fmt: skip


def types_of(obj) -> list:
    value = obj["type"]
    return value if isinstance(value, list) else [value]


def is_uri(value) -> bool:
    return isinstance(value, str) and URI.match(value) is not None


@pytest.fixture
def credential(issuer, make_badge):
    """A credential using every optional part this platform fills in."""
    issuer.description = "We teach."
    issuer.save()
    template = BadgeTemplateFactory(
        issuer=issuer,
        kind=Kind.QUALIFICATION,
        tags=["python", "data"],
        alignments=[{"targetName": "ESCO Python", "targetUrl": "https://esco.example/python"}],
    )
    start = timezone.now() - dt.timedelta(days=20)
    badge = make_badge(
        template=template,
        expires_at=timezone.now() + dt.timedelta(days=365),
        narrative="Built a parser.",
        evidence=[{"url": "https://git.example/parser", "narrative": "The code"}],
        activity_started_at=start,
        activity_ended_at=start + dt.timedelta(days=5),
    )
    token = services.credential_sign(assertion=badge)
    key = services.issuer_keys(issuer)[0]
    return signing.verify_signature(token, key.public_jwk)


def test_open_badge_credential_has_every_required_property(credential):
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    assert is_uri(credential["id"])
    assert "VerifiableCredential" in types_of(credential)
    assert "OpenBadgeCredential" in types_of(credential)
    assert isinstance(credential["issuer"], dict)
    assert DATETIME.match(credential["validFrom"])
    assert DATETIME.match(credential["validUntil"])
    assert DATETIME.match(credential["awardedDate"])
    assert isinstance(credential["name"], str)
    assert credential["name"]
    assert isinstance(credential["credentialSubject"], dict)


def test_profile_has_every_required_property(credential):
    profile = credential["issuer"]
    assert profile["id"].startswith("did:web:")
    assert "Profile" in types_of(profile)
    # optional, but a wallet shows them
    assert profile["name"] == "Acme Academy"
    assert profile["url"] == "https://acme.example"
    assert profile["email"] == "badges@acme.example"
    assert profile["description"] == "We teach."


def test_achievement_subject_has_every_required_property(credential):
    subject = credential["credentialSubject"]
    assert "AchievementSubject" in types_of(subject)
    assert isinstance(subject["achievement"], dict)
    # A stable urn:uuid for the earner (the JWT's sub) and the hashed email to prove it
    assert re.match(r"^urn:uuid:[0-9a-f-]{36}$", subject["id"])
    (identity,) = subject["identifier"]
    assert identity["type"] == "IdentityObject"
    assert identity["hashed"] is True
    assert identity["identityType"] in IDENTIFIER_TYPES
    assert identity["identityType"] == "emailAddress"
    assert re.match(r"^sha256\$[0-9a-f]{64}$", identity["identityHash"])
    assert isinstance(identity["salt"], str)
    assert DATETIME.match(subject["activityStartDate"])
    assert DATETIME.match(subject["activityEndDate"])
    assert subject["narrative"] == "Built a parser."


def test_achievement_has_every_required_property(credential):
    achievement = credential["credentialSubject"]["achievement"]
    assert is_uri(achievement["id"])
    assert "Achievement" in types_of(achievement)
    assert achievement["name"]
    assert achievement["description"]
    criteria = achievement["criteria"]
    assert criteria.get("id") or criteria.get("narrative")
    assert criteria["id"] == "https://issuer.example/criteria"
    assert achievement["achievementType"] in ACHIEVEMENT_TYPES
    assert achievement["achievementType"] == "Certification"
    assert achievement["image"]["type"] == "Image"
    assert is_uri(achievement["image"]["id"])
    assert achievement["tag"] == ["python", "data"]
    (alignment,) = achievement["alignment"]
    assert "Alignment" in types_of(alignment)
    assert alignment["targetName"] == "ESCO Python"
    assert alignment["targetUrl"] == "https://esco.example/python"


def test_status_and_evidence_have_every_required_property(credential):
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert is_uri(status["id"])
    assert status["statusPurpose"] == "revocation"
    # a string of digits, by the Bitstring Status List spec
    assert re.fullmatch(r"0|[1-9][0-9]*", status["statusListIndex"])
    assert status["id"].endswith("#" + status["statusListIndex"])
    assert status["statusListCredential"].endswith("/status/1")
    (evidence,) = credential["evidence"]
    assert "Evidence" in types_of(evidence)
    assert evidence["id"] == "https://git.example/parser"


def test_every_template_kind_maps_to_an_ob3_achievement_type():
    assert set(documents.ACHIEVEMENT_TYPES) == set(Kind.values)
    assert set(documents.ACHIEVEMENT_TYPES.values()) <= ACHIEVEMENT_TYPES


def test_every_term_the_credential_uses_is_defined_by_its_local_contexts(credential):
    # given the terms and types the two context documents define (scoped ones included)
    defined = contexts.defined_terms(credential["@context"])
    # when every key and type of the credential is collected
    used = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "@context":
                    continue
                if not key.startswith("@"):
                    used.add(key)
                if key == "type":
                    used.update(inner if isinstance(inner, list) else [inner])
                else:
                    walk(inner)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({k: v for k, v in credential.items() if k not in ("iss", "jti", "nbf", "exp")})
    # then none is missing
    assert used - defined == set()
