"""Verify an Open Badges 3.0 credential, check by check, without the network.

Input: a compact VC-JWT, a JSON `EnvelopedVerifiableCredential` holding one, or a
bundle (a presentation or list of these, as the backpack exports). Each credential gets
a Report of Checks:

1. format       a VC-JWT (RS256, ES256, or EdDSA as before OB 3.0 conformance), an
                OpenBadgeCredential inside
2. issuer       the issuer's DID resolved to a document with the signing key:
                this site's did:web from the database; did:key and did:jwk from the
                identifier itself; another site's did:web is not fetched (no
                server-side requests to addresses a stranger chose) and is reported
                as not checked
3. signature    the JWS verifies with that key, which the DID lists for assertions
4. dates        validFrom reached, validUntil not passed, and the JWT's nbf/exp agree
5. status       the bit at its index in the issuer's Bitstring Status List (ours: read
                locally and its own signature checked) is not set

A check passes, fails, or is skipped (could not be made here). A credential is valid
when every check passes; invalid when one fails; otherwise not verified.

Input is bounded: MAX_INPUT_BYTES, MAX_BUNDLE credentials, JSON nested no deeper than
Python recurses, and VERIFY_SECONDS for a whole bundle (then refused, saying how many
were checked). Within one input, each DID and each status list is resolved once: a
bundle names the same issuer again and again.
"""

import json
import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import http
from credentials import data_integrity, documents, signing
from credentials import did as dids
from credentials.services import issuer_keys, status_list_token
from issuers.models import Issuer

logger = logging.getLogger(__name__)

PASS, FAIL, SKIP = "pass", "fail", "skip"
MAX_INPUT_BYTES = 1024 * 1024
MAX_BUNDLE = 1000
VERIFY_SECONDS = 5.0
CLOCK_LEEWAY = timedelta(minutes=5)
CREDENTIAL_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def is_compact_jws(text: str) -> bool:
    return bool(_JWT_RE.match(text))


# What a page shows for a check's name, its status and a report's verdict.
CHECK_LABELS = {
    "format": gettext_lazy("Format"),
    "signature": gettext_lazy("Signature"),
    "issuer": gettext_lazy("Issuer"),
    "dates": gettext_lazy("Dates"),
    "status": gettext_lazy("Status"),
}
STATUS_LABELS = {
    PASS: gettext_lazy("passed"),
    FAIL: gettext_lazy("failed"),
    SKIP: gettext_lazy("not checked"),
}
VERDICT_LABELS = {
    "valid": gettext_lazy("Valid"),
    "invalid": gettext_lazy("Invalid"),
    "unverified": gettext_lazy("Unverified"),
}


@dataclass
class Check:
    name: str
    status: str
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def label(self) -> str:
        return str(CHECK_LABELS.get(self.name, self.name))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    credential: dict | None = None
    # Who issued and signed it: the issuer's DID, the key (DID URL) whose signature
    # verified, and whether that issuer is hosted on this site (None: not known).
    issuer_did: str = ""
    signed_with: str = ""
    hosted: bool | None = None
    hosted_name: str = ""

    def add(self, name: str, status: str, detail: str) -> Check:
        check = Check(name, status, detail)
        self.checks.append(check)
        return check

    @property
    def verdict(self) -> str:
        if any(c.status == FAIL for c in self.checks):
            return "invalid"
        if self.checks and all(c.status == PASS for c in self.checks):
            return "valid"
        return "unverified"

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"

    @property
    def verdict_label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])

    @property
    def title(self) -> str:
        cred = self.credential or {}
        name = cred.get("name")
        if not name:
            subject = cred.get("credentialSubject")
            if isinstance(subject, dict) and isinstance(subject.get("achievement"), dict):
                name = subject["achievement"].get("name")
        return str(name or _("Credential"))

    @property
    def issuer_name(self) -> str:
        """The issuer's name as the credential gives it (ours: as this site knows it)."""
        if self.hosted_name:
            return self.hosted_name
        issuer = (self.credential or {}).get("issuer")
        return str(issuer.get("name") or "") if isinstance(issuer, dict) else ""

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def status_check(self) -> Check | None:
        return self.check("status")

    @property
    def summary(self) -> str:
        failed = [c for c in self.checks if c.status == FAIL]
        if failed:
            return _("Not valid: %(detail)s") % {"detail": failed[0].detail}
        skipped = [c for c in self.checks if c.status == SKIP]
        if skipped:
            return _("Not verified: %(detail)s") % {"detail": skipped[0].detail}
        if self.hosted:
            return _(
                "Valid: signed by its issuer, hosted on this site, within its dates, "
                "and not revoked."
            )
        return _(
            "Valid: signed by its issuer, within its dates, and not revoked. Its issuer is "
            "not hosted on this site: the signature shows who signed it, not who they are."
        )


class InputError(ValueError):
    """The input is not something this verifier can read (said in one sentence)."""


# --- input ----------------------------------------------------------------------------------


def parse_input(data: str | bytes) -> list:
    """The credentials in `data`: compact JWT strings, or dicts for JSON credentials
    carrying no JWT (reported as unsupported)."""
    if isinstance(data, bytes):
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(_("The input is larger than 1 MB; give one credential or a bundle."))
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(_("The input is not text (UTF-8): give a VC-JWT or JSON.")) from None
    if len(data.encode("utf-8")) > MAX_INPUT_BYTES:
        raise InputError(_("The input is larger than 1 MB; give one credential or a bundle."))
    text = data.strip()
    if not text:
        raise InputError(_("The input is empty: paste a credential or choose a file."))
    if text[0] in "{[":
        try:
            items = _json_items(json.loads(text))
        except InputError:
            raise
        except ValueError as exc:
            raise InputError(
                _("The input looks like JSON but is not valid JSON (%(error)s).") % {"error": exc}
            ) from None
        except RecursionError:  # a credential or a bundle is a few levels deep
            raise InputError(
                _("The JSON is nested too deeply to be a credential or a bundle.")
            ) from None
    elif _JWT_RE.match(text):
        items = [text]
    else:
        raise InputError(
            _("The input is neither a VC-JWT (three base64url parts joined by dots) nor JSON.")
        )
    if not items:
        raise InputError(_("The JSON holds no credential."))
    if len(items) > MAX_BUNDLE:
        raise InputError(_("The bundle holds more than %(max)s credentials.") % {"max": MAX_BUNDLE})
    return items


def _json_items(value) -> list:
    if isinstance(value, list):
        return [item for v in value for item in _json_items(v)]
    if isinstance(value, str):
        return [value.strip()] if _JWT_RE.match(value.strip()) else []
    if not isinstance(value, dict):
        return []
    inner = value.get("verifiableCredential")
    if inner is not None:
        return _json_items(inner)
    types = value.get("type")
    types = types if isinstance(types, list) else [types]
    ident = value.get("id")
    if "EnvelopedVerifiableCredential" in types and isinstance(ident, str):
        prefix, _comma, token = ident.partition(",")
        if prefix.startswith(("data:application/vc+jwt", "data:application/jwt")):
            return [token.strip()]
        raise InputError(_("The enveloped credential is not a VC-JWT data URL."))
    return [value]


def verify_input(data: str | bytes, *, now: datetime | None = None) -> list[Report]:
    """Reports for every credential in `data`. Raises InputError for unreadable input,
    and for a bundle not verified within VERIFY_SECONDS."""
    items = parse_input(data)
    deadline = time.monotonic() + VERIFY_SECONDS
    memo = _memo.set({})
    try:
        reports = []
        for item in items:
            if time.monotonic() > deadline:
                raise InputError(
                    _(
                        "Verifying took longer than %(seconds)s s (%(checked)s of %(total)s "
                        "credentials were checked); give fewer at once."
                    )
                    % {
                        "seconds": f"{VERIFY_SECONDS:g}",
                        "checked": len(reports),
                        "total": len(items),
                    }
                )
            reports.append(verify_item(item, now=now))
        return reports
    finally:
        _memo.reset(memo)


# What one verify_input has resolved, by key; None outside one.
_memo: ContextVar[dict | None] = ContextVar("credentials_verify_memo", default=None)
# Whether another site's did:web document and status list may be fetched (through the
# guarded client, core.http: public addresses only, size and time capped). The OB 3.0
# API's upsert does, for the signed-in earner pushing a credential into their backpack;
# the public verifier page does not (anyone could make the server fetch anything).
_fetch_remote: ContextVar[bool] = ContextVar("credentials_verify_fetch", default=False)
MAX_REMOTE_BYTES = 256 * 1024


def _once(key: tuple, compute: Callable):
    """compute(), once for each key within one verify_input."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def verify_item(item, *, now: datetime | None = None, fetch_remote: bool = False) -> Report:
    """The report of one credential. `fetch_remote`: another site's did:web document and
    status list are fetched (through core.http) rather than reported as not checked."""
    token = _fetch_remote.set(fetch_remote)
    try:
        return _verify_item(item, now=now)
    finally:
        _fetch_remote.reset(token)


def _verify_item(item, *, now: datetime | None = None) -> Report:
    if isinstance(item, dict) and "proof" not in item:
        report = Report(credential=item)
        report.add("format", FAIL, _("It has no proof: nothing shows who issued it."))
        return report
    try:
        if isinstance(item, dict):
            return verify_data_integrity(item, now=now)
        return verify_token(item, now=now)
    except Exception:  # a verifier shows what it could not read; it never crashes
        logger.exception("Unexpected error verifying a credential")
        report = Report()
        report.add("format", FAIL, _("The credential could not be read."))
        return report


# --- checks ---------------------------------------------------------------------------------


def verify_token(token: str, *, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report()
    try:
        header, payload = signing.unverified_parts(token)
    except signing.BadToken as exc:
        report.add("format", FAIL, _("It is not a readable VC-JWT: %(error)s.") % {"error": exc})
        return report
    report.credential = payload

    problems = _format_problems(header, payload)
    if problems:
        report.add("format", FAIL, " ".join(problems))
        return report
    report.add(
        "format",
        PASS,
        _("A VC-JWT (%(alg)s) holding an OpenBadgeCredential.") % {"alg": header["alg"]},
    )

    return _check_signed(
        report,
        payload,
        now,
        header,
        lambda method: signing.verify_signature(token, method["publicKeyJwk"]),
    )


def _check_signed(report, payload: dict, now, header: dict, check, *, ed25519=False) -> Report:
    """The checks after the format: origin, issuer, signature (`check(method)` raises
    when it does not hold), dates, status."""
    issuer_id = _issuer_id(payload)
    report.issuer_did = issuer_id
    _check_origin(report, payload, issuer_id)
    method = _resolve_key(report, header, issuer_id, ed25519=ed25519)
    if method is None:
        report.add("signature", SKIP, _("Not checked: the issuer's key could not be resolved."))
    else:
        try:
            check(method)
        except (signing.BadToken, data_integrity.BadProof) as exc:
            report.add(
                "signature",
                FAIL,
                _(
                    "The signature does not match the content: it was changed after signing, "
                    "or signed by another key (%(error)s)."
                )
                % {"error": exc},
            )
        else:
            report.signed_with = method["id"]
            report.add("signature", PASS, _("Signed with %(key)s.") % {"key": method["id"]})
    _check_dates(report, payload, now)
    _check_status(report, payload, issuer_id)
    return report


def verify_data_integrity(credential: dict, *, now: datetime | None = None) -> Report:
    """The checks of a credential secured by a Data Integrity proof (eddsa-rdfc-2022)."""
    now = now or timezone.now()
    report = Report(credential=credential)
    try:
        proof = data_integrity.proof_of(credential)
    except data_integrity.BadProof as exc:
        report.add("format", FAIL, _("Its proof cannot be checked: %(reason)s.") % {"reason": exc})
        return report
    problems = _format_problems(None, credential)
    if problems:
        report.add("format", FAIL, " ".join(problems))
        return report
    report.add(
        "format", PASS, _("An OpenBadgeCredential with a Data Integrity proof (eddsa-rdfc-2022).")
    )
    return _check_signed(
        report,
        credential,
        now,
        {"kid": proof["verificationMethod"]},
        lambda method: data_integrity.verify(credential, dids.ed25519_public_bytes(method)),
        ed25519=True,
    )


def hosted_issuer(did: str) -> Issuer | None:
    """The issuer of this site whose DID is `did`, or None."""
    entity_id = dids.local_issuer_entity_id(did)
    if entity_id is None:
        return None
    return _once(("hosted", entity_id), lambda: Issuer.objects.filter(entity_id=entity_id).first())


def _site_urls(payload: dict) -> list[str]:
    """The addresses of this site that a credential names as its own: its id, its
    achievement's id, its status list."""
    subject = payload.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    status = payload.get("credentialStatus")
    statuses = status if isinstance(status, list) else [status]
    candidates = [
        payload.get("id"),
        achievement.get("id") if isinstance(achievement, dict) else None,
        *(s.get("statusListCredential") for s in statuses if isinstance(s, dict)),
    ]
    site = settings.SITE_URL.rstrip("/") + "/"
    return [url for url in candidates if isinstance(url, str) and url.startswith(site)]


def _check_origin(report: Report, payload: dict, issuer_id: str) -> None:
    """Whether the issuer is hosted here; and a credential that names this site's badges
    or lists as its own but whose issuer is not one of ours is a copy signed by someone
    else (the name and badge of an issuer cost nothing to reuse)."""
    issuer = hosted_issuer(issuer_id)
    report.hosted = issuer is not None
    if issuer is not None:
        report.hosted_name = issuer.name
        report.add(
            "origin",
            PASS,
            _("Issued by %(name)s, an issuer hosted on this site (%(did)s).")
            % {"name": issuer.name, "did": issuer_id},
        )
        return
    claimed = _site_urls(payload)
    if claimed:
        report.add(
            "origin",
            FAIL,
            _(
                "It presents itself as a badge of this site (%(url)s), but its issuer "
                "%(did)s is not hosted here: someone else signed it."
            )
            % {"url": claimed[0], "did": issuer_id or _("(none)")},
        )
        return
    report.add(
        "origin",
        PASS,
        _("Issued by %(did)s, which is not hosted on this site.") % {"did": issuer_id},
    )


def _issuer_id(payload: dict) -> str:
    issuer = payload.get("issuer")
    return issuer.get("id", "") if isinstance(issuer, dict) else str(issuer or "")


def _format_problems(header: dict | None, payload: dict) -> list[str]:
    """What makes `payload` no OpenBadgeCredential, and `header` (None for a Data
    Integrity proof) no VC-JWT header."""
    problems = []
    header = {"alg": signing.RS256} if header is None else header
    if header.get("alg") not in signing.VERIFY_ALGORITHMS:
        problems.append(
            _("Its algorithm is %(alg)s; this verifier checks RS256, ES256 and EdDSA (Ed25519).")
            % {"alg": repr(header.get("alg"))}
        )
    if header.get("typ") not in (None, "JWT", "vc+jwt", "vc+ld+json+jwt"):
        problems.append(
            _("Its JOSE type %(typ)s is not a credential's.") % {"typ": repr(header.get("typ"))}
        )
    contexts = payload.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != documents.VC_CONTEXT:
        problems.append(_("Its first @context is not the Verifiable Credentials 2.0 context."))
    elif not any(isinstance(c, str) and "/spec/ob/v3p0/context" in c for c in contexts):
        problems.append(_("It names no Open Badges 3.0 @context."))
    types = payload.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiableCredential" not in types or not CREDENTIAL_TYPES & set(types):
        problems.append(_("Its type is not VerifiableCredential + OpenBadgeCredential."))
    issuer_id = _issuer_id(payload)
    if not issuer_id:
        problems.append(_("It names no issuer."))
    elif payload.get("iss") not in (None, issuer_id):
        problems.append(_("The JWT's iss differs from the credential's issuer."))
    if "jti" in payload and payload.get("jti") != payload.get("id"):
        problems.append(_("The JWT's jti differs from the credential's id."))
    if not isinstance(payload.get("credentialSubject"), dict):
        problems.append(_("It has no credentialSubject."))
    return problems


def resolve_did(did: str) -> tuple[dict | None, str, bool]:
    """(DID document or None, how it was resolved or why not, whether "not resolved"
    proves the credential wrong rather than merely uncheckable here)."""
    return _once(("did", did, _fetch_remote.get()), lambda: _resolve_did(did))


def _resolve_did(did: str) -> tuple[dict | None, str, bool]:
    entity_id = dids.local_issuer_entity_id(did)
    if entity_id is not None:
        issuer = Issuer.objects.filter(entity_id=entity_id).first()
        if issuer is None:
            return None, _("no issuer of this site has that DID"), True
        keys = issuer_keys(issuer)
        if not keys:
            return None, _("that issuer of this site has no published key"), True
        doc = documents.did_document(issuer, keys)
        return doc, _("resolved locally (an issuer of this site)"), False
    try:
        doc = dids.self_contained_document(did)
    except (ValueError, TypeError) as exc:
        return None, _("the DID is malformed (%(error)s)") % {"error": exc}, True
    if doc is not None:
        return doc, _("resolved from the identifier itself"), False
    if did.startswith("did:web:") and _fetch_remote.get() and dids.did_web_url(did):
        return _fetch_did_document(did, dids.did_web_url(did))
    if did.startswith("did:web:"):
        return (
            None,
            _(
                "it is another site's did:web (%(url)s); this verifier does not fetch "
                "documents from other servers"
            )
            % {"url": dids.did_web_url(did)},
            False,
        )
    if did.startswith(("http://", "https://")):
        return None, _("the issuer is a URL, not a DID with keys; it is not fetched"), False
    return None, _("this DID method cannot be resolved here"), False


def _fetch_json_or_text(url: str, accept: str):
    """(the response, or None and why not) of a GET through the guarded client."""
    try:
        response = http.fetch(url, headers={"Accept": accept}, max_bytes=MAX_REMOTE_BYTES)
    except http.OutboundError as exc:
        return None, exc.message
    if response.status_code != 200:
        return None, _("it answered HTTP %(status)s") % {"status": response.status_code}
    return response, ""


def _fetch_did_document(did: str, url: str) -> tuple[dict | None, str, bool]:
    response, why = _fetch_json_or_text(url, "application/did+json, application/json")
    if response is None:
        return (
            None,
            _("its DID document %(url)s was not fetched: %(why)s")
            % {
                "url": url,
                "why": why,
            },
            False,
        )
    try:
        doc = response.json()
    except (ValueError, UnicodeDecodeError):
        return None, _("its DID document %(url)s is not JSON") % {"url": url}, True
    if not isinstance(doc, dict) or doc.get("id") != did:
        return None, _("the document at %(url)s is not this DID's") % {"url": url}, True
    return doc, _("resolved from %(url)s") % {"url": url}, False


def _remote_status_list(url: str) -> str | None:
    """The compact VC-JWT of another site's status list credential, or None."""
    response, _why = _fetch_json_or_text(url, f"{signing.MEDIA_TYPE}, application/json")
    if response is None:
        return None
    text = response.content.decode("utf-8", "replace").strip()
    if is_compact_jws(text):
        return text
    try:
        items = _json_items(json.loads(text))
    except (ValueError, InputError, RecursionError):
        return None
    return items[0] if len(items) == 1 and isinstance(items[0], str) else None


def _resolve_key(
    report: Report, header: dict, issuer_id: str, *, ed25519: bool = False
) -> dict | None:
    """The issuer's verification method the header's kid names (a JWK; with `ed25519`,
    an Ed25519 key as Multikey or JWK, for Data Integrity), or None, the reason
    reported."""
    did = issuer_id
    kid = header.get("kid")
    if isinstance(kid, str) and kid:
        if kid.startswith("#"):
            kid = did + kid
        if kid.split("#", 1)[0] != did:
            report.add("issuer", FAIL, _("The signing key (kid) does not belong to the issuer."))
            return None
    document, how, wrong = resolve_did(did)
    if document is None:
        # Unknown is not wrong: only a malformed DID or a missing issuer of ours fails.
        report.add(
            "issuer",
            FAIL if wrong else SKIP,
            _("Issuer %(did)s not resolved: %(how)s.") % {"did": did, "how": how},
        )
        return None
    if document.get("id") != did:
        report.add("issuer", FAIL, _("The DID document is not the issuer's."))
        return None
    methods = {
        m.get("id"): m for m in document.get("verificationMethod", []) if isinstance(m, dict)
    }
    allowed = {
        m if isinstance(m, str) else m.get("id") for m in document.get("assertionMethod", [])
    }
    if isinstance(kid, str) and kid:
        method = methods.get(kid)
        if method is None or kid not in allowed:
            report.add(
                "issuer",
                FAIL,
                _("Issuer %(did)s %(how)s, but it publishes no assertion key %(kid)s.")
                % {"did": did, "how": how, "kid": kid},
            )
            return None
    else:
        candidates = [methods[i] for i in allowed if i in methods]
        if len(candidates) != 1:
            report.add("issuer", FAIL, _("The JWT names no key (kid) and the issuer has several."))
            return None
        method = candidates[0]
    if ed25519:
        try:
            dids.ed25519_public_bytes(method)
        except (ValueError, KeyError, TypeError):
            report.add(
                "issuer",
                FAIL,
                _("The key %(key)s is not an Ed25519 key.") % {"key": method.get("id")},
            )
            return None
    elif not isinstance(method.get("publicKeyJwk"), dict):
        report.add(
            "issuer", FAIL, _("The key %(key)s is not given as a JWK.") % {"key": method.get("id")}
        )
        return None
    report.add("issuer", PASS, _("Issuer %(did)s %(how)s.") % {"did": did, "how": how})
    return method


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_dates(report: Report, payload: dict, now: datetime) -> None:
    valid_from = _parse_time(payload.get("validFrom"))
    if valid_from is None:
        report.add("dates", FAIL, _("It has no valid validFrom date."))
        return
    valid_until = None
    if payload.get("validUntil") is not None:
        valid_until = _parse_time(payload.get("validUntil"))
        if valid_until is None:
            report.add("dates", FAIL, _("Its validUntil is not a date."))
            return
    for claim, value in (("nbf", valid_from), ("exp", valid_until)):
        if claim in payload and (
            value is None
            or not isinstance(payload[claim], int | float)
            or int(payload[claim]) != int(value.timestamp())
        ):
            report.add(
                "dates",
                FAIL,
                _("The JWT's %(claim)s disagrees with the credential's dates.") % {"claim": claim},
            )
            return
    if valid_from > now + CLOCK_LEEWAY:
        report.add(
            "dates", FAIL, _("It is not valid before %(when)s.") % {"when": _show(valid_from)}
        )
    elif valid_until is not None and valid_until <= now:
        report.add("dates", FAIL, _("It expired on %(when)s.") % {"when": _show(valid_until)})
    elif valid_until is not None:
        report.add(
            "dates",
            PASS,
            _("Valid from %(start)s until %(end)s.")
            % {"start": _show(valid_from), "end": _show(valid_until)},
        )
    else:
        report.add(
            "dates", PASS, _("Valid from %(start)s, with no expiry.") % {"start": _show(valid_from)}
        )


def _show(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


_LOCAL_STATUS_RE = re.compile(
    r"^/issuers/(?P<entity_id>[A-Za-z0-9_-]{22})/status/(?P<n>[0-9]{1,9})$"
)


def _check_status(report: Report, payload: dict, issuer_id: str) -> None:
    status = payload.get("credentialStatus")
    if status is None:
        report.add("status", PASS, _("It has no status list: its issuer cannot revoke it."))
        return
    entries = status if isinstance(status, list) else [status]
    details = []
    for entry in entries:
        outcome, detail = _status_of(entry, issuer_id)
        if outcome != PASS:
            report.add("status", outcome, detail)
            return
        details.append(detail)
    report.add("status", PASS, " ".join(details))


def _status_of(entry, issuer_id: str) -> tuple[str, str]:
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return SKIP, _("Its status is not a Bitstring Status List entry; not checked.")
    purpose = entry.get("statusPurpose")
    url = entry.get("statusListCredential")
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        return FAIL, _("Its statusListIndex is not a number.")
    if not isinstance(url, str):
        return FAIL, _("Its statusListCredential is not a URL.")
    if url.startswith(settings.SITE_URL + "/"):
        match = _LOCAL_STATUS_RE.match(url[len(settings.SITE_URL) :])
        if match is None:
            return FAIL, _("Its status list %(url)s does not exist on this site.") % {"url": url}
        token = _once(("status list", url), lambda: _local_status_list(match))
        if token is None:
            return FAIL, _("Its status list %(url)s does not exist on this site.") % {"url": url}
    elif _fetch_remote.get() and url.startswith("https://"):
        token = _once(("status list", url), lambda: _remote_status_list(url))
        if token is None:
            return SKIP, _("Its status list %(url)s could not be fetched as a VC-JWT.") % {
                "url": url
            }
    else:
        return SKIP, _("Its status list is on another site (%(url)s); it is not fetched.") % {
            "url": url
        }
    list_report = Report()
    list_header, list_payload = signing.unverified_parts(token)
    if _issuer_id(list_payload) != issuer_id:
        return FAIL, _("Its status list was published by another issuer.")
    method = _resolve_key(list_report, list_header, issuer_id)
    if method is None:
        return FAIL, _("The status list's key could not be resolved.")
    try:
        signing.verify_signature(token, method["publicKeyJwk"])
        subject = list_payload["credentialSubject"]
        bits = _once(("bits", url), lambda: documents.decode_bitstring(subject["encodedList"]))
        revoked = documents.bit_is_set(bits, index)
    except (signing.BadToken, KeyError, TypeError, ValueError, IndexError) as exc:
        return FAIL, _("Its status list could not be read (%(error)s).") % {"error": exc}
    if subject.get("statusPurpose") != purpose:
        return FAIL, _("The status list is for another purpose than the entry says.")
    where = {"index": index, "url": url}
    if purpose == "suspension":
        if revoked:
            return FAIL, _(
                "It was suspended by its issuer (bit %(index)s of %(url)s is set)."
            ) % where
        return PASS, _("Not suspended (bit %(index)s of %(url)s is clear).") % where
    if revoked:
        return FAIL, _("It was revoked by its issuer (bit %(index)s of %(url)s is set).") % where
    return PASS, _("Not revoked (bit %(index)s of %(url)s is clear).") % where


def _local_status_list(match) -> str | None:
    """The token of a status list of this site, or None."""
    issuer = Issuer.objects.filter(entity_id=match["entity_id"]).first()
    return status_list_token(issuer=issuer, number=int(match["n"])) if issuer else None
