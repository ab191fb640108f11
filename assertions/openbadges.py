"""Open Badges 2.0 hosted documents (JSON-LD) and the URLs they live at.

Pure functions: model instances in, dicts out. Every id is an absolute URL under
`settings.SITE_URL`, so a verifier fetching an id gets the very document that names it.

- Assertion   /public/assertions/<assertion entity_id>
- BadgeClass  /public/badges/<template entity_id>/versions/<n>  (what an assertion names:
              the version it was issued with, immutable) and /public/badges/<template
              entity_id> (the template's current version)
- Issuer      /public/issuers/<issuer entity_id>, its RevocationList at .../revocations

docs/open-badges.md explains the choices (versioned BadgeClass ids, hashed recipients).
"""

import hashlib

from django.conf import settings

from core.timefmt import format_iso_z

CONTEXT = "https://w3id.org/openbadges/v2"


def recipient_hash(email: str, salt: str) -> str:
    """Open Badges 2.0 hashed identity: sha256$ + hex(sha256(email + salt))."""
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


# --- URLs ---------------------------------------------------------------------------------


def absolute(url: str) -> str:
    """An absolute URL for a path of this site (media URLs are relative on local disk)."""
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def assertion_url(assertion) -> str:
    return assertion.url


def assertion_image_url(assertion) -> str:
    """The baked badge image."""
    return f"{assertion_url(assertion)}/image"


def badgeclass_url(template, version=None) -> str:
    """The template's BadgeClass; with `version` (a BadgeTemplateVersion or its number),
    the immutable BadgeClass of that version."""
    url = f"{settings.SITE_URL}/public/badges/{template.entity_id}"
    if version is None:
        return url
    number = version if isinstance(version, int) else version.number
    return f"{url}/versions/{number}"


def assertion_badgeclass_url(assertion) -> str:
    return badgeclass_url(assertion.badge_template, assertion.badge_template_version)


def issuer_url(issuer) -> str:
    return f"{settings.SITE_URL}/public/issuers/{issuer.entity_id}"


def revocation_list_url(issuer) -> str:
    return f"{issuer_url(issuer)}/revocations"


def file_url(field) -> str | None:
    return absolute(field.url) if field else None


def badge_image_urls(version) -> dict:
    """The three renditions under the Open Badge API's names. Versions made before the
    renditions existed fall back to their one image."""
    image = file_url(version.image)
    return {
        "image_path": image,
        "image_high_path": file_url(version.image_high) or image,
        "image_thumbnail_path": file_url(version.image_thumbnail) or image,
    }


def png_image_url(version) -> str | None:
    """A PNG of the badge for places that cannot show SVG (link previews)."""
    if version.image_high:
        return file_url(version.image_high)
    if version.image and version.image.name.lower().endswith(".png"):
        return file_url(version.image)
    return None


# --- documents ----------------------------------------------------------------------------


def assertion_document(assertion) -> dict:
    """The hosted Assertion. The recipient is the salted sha256 hash of the email."""
    doc = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(assertion),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": assertion.recipient_salt,
            "identity": assertion.recipient_hash,
        },
        "badge": assertion_badgeclass_url(assertion),
        "issuedOn": format_iso_z(assertion.emitted_at),
        "verification": {"type": "hosted"},
        "image": assertion_image_url(assertion),
    }
    if assertion.expires_at:
        doc["expires"] = format_iso_z(assertion.expires_at)
    if assertion.narrative:
        doc["narrative"] = assertion.narrative
    if assertion.evidence:
        doc["evidence"] = [_evidence(item) for item in assertion.evidence]
    profile = recipient_profile(assertion)
    if profile:
        doc["extensions:recipientProfile"] = profile
    return doc


def given_recipient_profile(assertion) -> dict | None:
    """The `extensions:recipientProfile` the badge came with, if any."""
    extensions = (assertion.additional_details or {}).get("extensions")
    given = extensions.get("extensions:recipientProfile") if isinstance(extensions, dict) else None
    return given if isinstance(given, dict) else None


RECIPIENT_PROFILE_CONTEXT = "https://openbadgespec.org/extensions/recipientProfile/context.json"


def recipient_profile(assertion) -> dict | None:
    """The earner's name as Badgr publishes it in the hosted assertion
    (`extensions:recipientProfile`), for the badges that came with one (imported from
    Badgr, or issued through /v2 with it), unless the earner chose to hide it."""
    given = given_recipient_profile(assertion)
    if assertion.recipient_name_hidden or given is None:
        return None
    # The badge's current names: a correction made here since the import is what shows.
    name = assertion.recipient_name or str(given.get("name") or "").strip()
    if not name:
        return None
    return {
        "@context": RECIPIENT_PROFILE_CONTEXT,
        "type": ["Extension", "extensions:RecipientProfile"],
        "name": name,
    }


def _evidence(item: dict) -> dict:
    evidence = {"type": "Evidence"}
    if item.get("url"):
        evidence["id"] = item["url"]
    if item.get("narrative"):
        evidence["narrative"] = item["narrative"]
    return evidence


def revoked_assertion_document(assertion) -> dict:
    """What a revoked assertion's URL answers (with HTTP 410), as the spec recommends."""
    return {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(assertion),
        "revoked": True,
        "revocationReason": assertion.revoked_reason or "Revoked by the issuer.",
    }


def badgeclass_document(version, *, versioned: bool = True) -> dict:
    """The BadgeClass of one template version (its template and issuer loaded).

    `versioned=False` gives the template's own id (the document of its current version).
    """
    template = version.template
    criteria = {}
    if version.criteria_url:
        criteria["id"] = version.criteria_url
    if version.criteria_narrative:
        criteria["narrative"] = version.criteria_narrative
    doc = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badgeclass_url(template, version if versioned else None),
        "name": version.name,
        # Required by Open Badges 2.0; a template may have none.
        "description": version.description or version.name,
        "image": file_url(version.image),
        "criteria": criteria,
        "issuer": issuer_url(template.issuer),
    }
    if version.tags:
        doc["tags"] = list(version.tags)
    if version.alignments:
        doc["alignment"] = [{"type": "AlignmentObject", **a} for a in version.alignments]
    return doc


def issuer_document(issuer) -> dict:
    """The issuer's Profile. Open Badges requires `url` and `email`; an issuer without a
    website gets its public page here as `url`."""
    doc = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(issuer),
        "name": issuer.name,
        "url": issuer.url or issuer_url(issuer),
        "email": issuer.email,
        "revocationList": revocation_list_url(issuer),
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image:
        doc["image"] = file_url(issuer.image)
    return doc


def revocation_list_document(issuer, revoked) -> dict:
    """`revoked`: (assertion entity_id, reason) pairs."""
    base = f"{settings.SITE_URL}/public/assertions/"
    entries = []
    for entity_id, reason in revoked:
        entry = {"id": base + entity_id}
        if reason:
            entry["revocationReason"] = reason
        entries.append(entry)
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": revocation_list_url(issuer),
        "issuer": issuer_url(issuer),
        "revokedAssertions": entries,
    }
