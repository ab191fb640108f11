"""What the public badge page and the backpack show about a badge, and its share links."""

from urllib.parse import quote, urlencode

from django.utils.translation import gettext_lazy as _

from assertions import openbadges
from assertions.models import AssertionStatus
from core.timefmt import get_zone

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
STATUS_LABELS = {"valid": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked")}


def badge_status(assertion, now) -> str:
    """valid, expired or revoked, as a verifier would judge it now (the periodic expiry
    sweep may not have marked the row yet)."""
    if assertion.status == AssertionStatus.REVOKED:
        return "revoked"
    if assertion.expires_at is not None and assertion.expires_at <= now:
        return "expired"
    return "valid"


def in_issuer_zone(value, issuer):
    return value.astimezone(get_zone(issuer.timezone)) if value else None


def linkedin_add_url(assertion) -> str:
    """LinkedIn's "Add license or certification" form, prefilled. Years and months are the
    issuer's calendar, as on the badge page."""
    issuer = assertion.organization
    issued = in_issuer_zone(assertion.emitted_at, issuer)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": assertion.badge_template_version.name,
        "organizationName": issuer.name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if assertion.expires_at:
        expires = in_issuer_zone(assertion.expires_at, issuer)
        params.update(expirationYear=expires.year, expirationMonth=expires.month)
    params.update(certUrl=openbadges.assertion_url(assertion), certId=assertion.entity_id)
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params)}"


def email_share_url(assertion) -> str:
    version = assertion.badge_template_version
    subject = f"My badge: {version.name}"
    body = (
        f'I was awarded the badge "{version.name}" by {assertion.organization.name}. '
        f"You can verify it here: {openbadges.assertion_url(assertion)}"
    )
    # mailto wants %20 for spaces, not the "+" of form encoding.
    return "mailto:?" + urlencode({"subject": subject, "body": body}, quote_via=quote)


def badge_page_context(assertion, *, now) -> dict:
    version = assertion.badge_template_version
    issuer = assertion.organization
    status = badge_status(assertion, now)
    page_url = openbadges.assertion_url(assertion)
    description = version.description or f"{version.name}, awarded by {issuer.name}."
    return {
        "assertion": assertion,
        "version": version,
        "issuer": issuer,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "issued_on": in_issuer_zone(assertion.emitted_at, issuer),
        "expires_at": in_issuer_zone(assertion.expires_at, issuer),
        "revoked_at": in_issuer_zone(assertion.revoked_at, issuer),
        "activity_started_at": in_issuer_zone(assertion.activity_started_at, issuer),
        "activity_ended_at": in_issuer_zone(assertion.activity_ended_at, issuer),
        "earner_name": assertion.recipient_name or _("the earner"),
        "description": description,
        "page_url": page_url,
        "json_url": f"{page_url}.json",
        "image_url": openbadges.file_url(version.image),
        "preview_image_url": openbadges.png_image_url(version),
        "baked_image_url": openbadges.assertion_image_url(assertion),
        "download_url": f"{openbadges.assertion_image_url(assertion)}?download=1",
        # The signed Open Badges 3.0 credential (credentials app), as a file for a wallet.
        "wallet_download_url": f"{page_url}/credential?format=jwt&download=1",
        "badgeclass_url": openbadges.assertion_badgeclass_url(assertion),
        "issuer_url": openbadges.issuer_url(issuer),
        "linkedin_url": linkedin_add_url(assertion),
        "email_url": email_share_url(assertion),
        "shareable": status != "revoked",
    }
