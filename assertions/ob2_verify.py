"""Verifying an Open Badges 2.0 badge from another platform, for backpack imports.

The rules of hosted verification (Open Badges 2.0, "Verification"): the assertion is
fetched from its own `id` and must answer there (410: revoked); its BadgeClass and the
Issuer profile are fetched in turn; the assertion must be hosted on an origin the issuer
allows (by default the host of the issuer's id); the issuer's revocation list must not
name it; `issuedOn` is not in the future; the recipient identity (a salted sha256 hash,
or plaintext) must be one of the importing person's addresses.

Fetching URLs that strangers typed is a server-side request forgery risk: every fetch
goes through the guarded client (core.http: public addresses only unless
OUTBOUND_ALLOWED_NETWORKS, the address checked is the one connected to, redirects
re-checked, 1 MB and 30 s at most).
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from assertions.baking import BakingError, unbake
from assertions.openbadges import recipient_hash
from core import http
from core.exceptions import ApplicationError
from core.timefmt import parse_datetime
from core.uploads import ImageRefused, image_accept, image_data_uri_bytes

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
ACCEPT = "application/ld+json, application/json;q=0.9"
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DATA_URI_IMAGE = 512 * 1024


class ImportRefused(ApplicationError):
    default_code = "import_refused"


@dataclass(frozen=True)
class VerifiedBadge:
    source_url: str
    recipient_email: str
    name: str
    issuer_name: str
    image_url: str
    issued_on: datetime
    expires_at: datetime | None
    assertion: dict
    badgeclass: dict
    issuer: dict


def _refuse(message: str, field: str = "source"):
    raise ImportRefused(message, field_errors={field: [message]})


# --- fetching -------------------------------------------------------------------------------


def fetch_json(url: str) -> tuple[int, dict | None]:
    """(HTTP status, JSON object or None) of a URL, through the guarded client."""
    try:
        response = http.fetch(url, headers={"Accept": ACCEPT}, max_bytes=MAX_DOCUMENT_BYTES)
    except http.OutboundError as exc:
        _refuse(exc.message)
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.status_code, None
    return response.status_code, data if isinstance(data, dict) else None


def _node(value, what: str) -> tuple[str, dict]:
    """An embedded node or the document at its URL: (id, document)."""
    if isinstance(value, dict):
        return str(value.get("id") or ""), value
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        _refuse(f"The {what} is neither a URL nor a document.")
    status, doc = fetch_json(value)
    if status != 200 or doc is None:
        _refuse(f"The {what} at {value} could not be read (HTTP {status}).")
    if doc.get("id") != value:
        _refuse(f"The {what} at {value} names another id ({doc.get('id')}).")
    return value, doc


def _types(doc: dict) -> set[str]:
    kind = doc.get("type")
    return set(kind) if isinstance(kind, list) else {kind}


def _is_ob2(doc: dict) -> bool:
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and c.rstrip("/").startswith(OB2_CONTEXT) for c in contexts)


# --- the checks --------------------------------------------------------------------------------


def source_from_image(upload) -> str:
    """The hosted assertion URL baked into an uploaded PNG or SVG badge."""
    data = upload.read(settings.BADGE_IMAGE_MAX_BYTES + 1)
    if len(data) > settings.BADGE_IMAGE_MAX_BYTES:
        _refuse("The image is too large to be a badge.", "image")
    try:
        baked = unbake(data)
    except BakingError as exc:
        _refuse(f"This is not a baked badge image: {exc}", "image")
    if not baked:
        _refuse("This image carries no Open Badges assertion.", "image")
    baked = baked.strip()
    if baked.startswith("{"):
        try:
            embedded = json.loads(baked)
        except (ValueError, RecursionError):  # nested deeper than Python recurses
            _refuse("The assertion baked into this image is not valid JSON.", "image")
        if not isinstance(embedded, dict):
            _refuse("The assertion baked into this image is not an object.", "image")
        verification = embedded.get("verification") or {}
        if isinstance(verification, dict) and verification.get("type") in ("signed", "SignedBadge"):
            _refuse("Signed badges cannot be imported yet; only hosted ones.", "image")
        baked = str(embedded.get("id") or "")
    if not baked.startswith(("http://", "https://")):
        _refuse(
            "The assertion baked into this image has no hosted URL "
            "(signed badges cannot be imported yet).",
            "image",
        )
    return baked


def verify_hosted_badge(url: str, emails: list[str] | None) -> VerifiedBadge:
    """Verify the hosted assertion at `url` for a person with these addresses.

    `emails=None` (an issuer importing badges it awarded elsewhere, imports.documents)
    skips the recipient match: `recipient_email` is then the plaintext identity, or ""
    when it is hashed, for the caller to match."""
    url = (url or "").strip()
    if url.startswith(settings.SITE_URL + "/"):
        _refuse(
            "This badge was issued here: if it was awarded to you it is already in your backpack."
        )
    status, assertion = fetch_json(url)
    if status == 410:
        reason = (assertion or {}).get("revocationReason")
        _refuse("The issuer revoked this badge" + (f": {reason}" if reason else "."))
    if status != 200 or assertion is None:
        _refuse(f"No Open Badges assertion at {url} (HTTP {status}).")
    if not _is_ob2(assertion):
        _refuse("This is not an Open Badges 2.0 assertion (its @context is not v2).")
    if "Assertion" not in _types(assertion):
        _refuse("The document is not an Assertion.")
    if assertion.get("id") != url:
        if isinstance(assertion.get("id"), str) and assertion["id"].startswith("http"):
            return verify_hosted_badge(assertion["id"], emails)  # fetched by another name
        _refuse("The assertion has no URL id, so it cannot be verified where it is hosted.")
    verification = assertion.get("verification") or {}
    if not isinstance(verification, dict) or verification.get("type") not in (
        "hosted",
        "HostedBadge",
    ):
        _refuse("Only hosted badges can be imported (this one is signed or has no verification).")
    if assertion.get("revoked") is True:
        _refuse("The issuer revoked this badge.")

    _, badgeclass = _node(assertion.get("badge"), "badge class")
    if "BadgeClass" not in _types(badgeclass):
        _refuse("The assertion's badge is not a BadgeClass.")
    issuer_id, issuer = _node(badgeclass.get("issuer"), "issuer")
    if not _types(issuer) & {"Issuer", "Profile"}:
        _refuse("The badge class's issuer is not an issuer profile.")
    _check_origin(url, issuer_id, issuer)
    _check_revocation_list(url, issuer)

    issued_on = _date(assertion.get("issuedOn"), "issuedOn")
    if issued_on > timezone.now() + timedelta(minutes=5):
        _refuse("The badge's issue date is in the future.")
    expires_at = _date(assertion["expires"], "expires") if assertion.get("expires") else None
    if emails is None:
        recipient = assertion.get("recipient")
        recipient = recipient if isinstance(recipient, dict) else {}
        recipient_email = "" if recipient.get("hashed") else str(recipient.get("identity") or "")
    else:
        recipient_email = _matching_email(assertion.get("recipient"), emails)
    return VerifiedBadge(
        source_url=url,
        recipient_email=recipient_email,
        name=str(badgeclass.get("name") or "Badge")[:255],
        issuer_name=str(issuer.get("name") or "Unknown issuer")[:255],
        image_url=_image_url(badgeclass.get("image")),
        issued_on=issued_on,
        expires_at=expires_at,
        assertion=assertion,
        badgeclass=badgeclass,
        issuer=issuer,
    )


def _check_origin(assertion_url: str, issuer_id: str, issuer: dict) -> None:
    policy = issuer.get("verification") if isinstance(issuer.get("verification"), dict) else {}
    starts = policy.get("startsWith")
    if starts:
        starts = starts if isinstance(starts, list) else [starts]
        if any(assertion_url.startswith(prefix) for prefix in starts):
            return
        _refuse("The assertion is not hosted where its issuer says its badges live.")
    allowed = policy.get("allowedOrigins") or [urlsplit(issuer_id).netloc]
    allowed = allowed if isinstance(allowed, list) else [allowed]
    if urlsplit(assertion_url).netloc not in allowed:
        _refuse(
            f"The assertion is hosted on {urlsplit(assertion_url).netloc}, which its issuer "
            f"({', '.join(allowed) or 'no host'}) does not vouch for."
        )


def _check_revocation_list(assertion_url: str, issuer: dict) -> None:
    location = issuer.get("revocationList")
    if not isinstance(location, str) or not location.startswith("http"):
        return
    status, doc = fetch_json(location)
    if status != 200 or doc is None:
        return  # hosted badges are revoked by their URL's 410, checked already
    for entry in doc.get("revokedAssertions") or []:
        listed = entry.get("id") if isinstance(entry, dict) else entry
        if listed == assertion_url:
            _refuse("The issuer's revocation list names this badge as revoked.")


def _date(value, name: str) -> datetime:
    try:
        return parse_datetime(str(value))
    except ValueError:
        _refuse(f"The assertion's {name} is not a date ({value!r}).")


def _matching_email(recipient, emails: list[str]) -> str:
    if not isinstance(recipient, dict) or recipient.get("type", "email") != "email":
        _refuse("Only badges awarded to an email address can be imported.")
    identity = str(recipient.get("identity") or "")
    salt = str(recipient.get("salt") or "")
    for email in emails:
        for candidate in dict.fromkeys([email, email.lower()]):
            if recipient.get("hashed"):
                algorithm, _, digest = identity.partition("$")
                if algorithm.lower() == "sha256":
                    computed = recipient_hash(candidate, salt).partition("$")[2]
                elif algorithm.lower() == "md5":
                    computed = hashlib.md5((candidate + salt).encode()).hexdigest()  # noqa: S324
                else:
                    _refuse(f"Unknown recipient hash {algorithm!r}.")
                if computed == digest.lower():
                    return email
            elif identity.strip().lower() == candidate.lower():
                return email
    _refuse(
        f"This badge was not awarded to {', '.join(emails)}. Change your email address in "
        "your settings if it was awarded to another address of yours."
    )


def _image_url(image) -> str:
    if isinstance(image, dict):
        image = image.get("id")
    if not isinstance(image, str):
        return ""
    if image.startswith("https://") or image.startswith("http://"):
        return image[:2048]
    if image.startswith("data:image/") and len(image) <= MAX_DATA_URI_IMAGE:
        # Kept as the upload gate keeps any image: sniffed, bounded, re-encoded or
        # sanitised. One it refuses leaves the badge without a picture, not unimported.
        try:
            kept = image_accept(image_data_uri_bytes(image))
        except ImageRefused:
            return ""
        return f"data:{kept.content_type};base64,{base64.b64encode(kept.data).decode()}"
    return ""
