"""Import Open Badges 2.0 badges an issuer awarded on another platform: baked PNG/SVG
images or hosted assertion URLs, one at a time or many in a zip.

Each badge is verified first, with the backpack's rules (assertions.ob2_verify: fetched
from its own URL, its BadgeClass and Issuer fetched in turn, hosted where the issuer
vouches for, not revoked, not issued in the future); every URL, images included, is
fetched through the guarded client (core.http). A baked image must carry the same
assertion its issuer hosts: an image whose baked-in assertion was edited is refused,
naming what differs.

The recipient of a hosted badge is usually a salted hash of an email; it is matched
against the addresses given with the upload and the issuer's earners. The badge class
becomes a template here (found again by its URL through LegacyObject); the badge an
imported Assertion with `imp_legacy_id` = its URL, through `assertions_import` (no
email, no credit). Importing the same badge again changes nothing.

What is uploaded is read in the request, in bounded time and memory, before anything is
stored (`documents_from_uploads`): at most MAX_UPLOAD_BYTES of files and MAX_DOCUMENT_BYTES
of badges in all, within READ_SECONDS; a zip through core.zips (its end record checked
before zipfile reads the directory, at most MAX_ZIP_MEMBERS entries, each badge or list
at most BADGE_IMAGE_MAX_BYTES, MAX_DOCUMENT_BYTES expanded, bombs by ratio, every member
metered), no zip inside a zip; every image read as the import will read it
(assertions.baking.unbake, with its chunk, text and element limits). A crafted file is
refused whole, naming it and the problem, as a form error; an image that merely carries
no badge is left for the run's report, with the others.
"""

import base64
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assertions import ob2_verify
from assertions.baking import BakingError, BakingLimit, unbake
from assertions.models import Assertion
from assertions.services import (
    assertions_import,
    evidence_clean,
    expiry_before_issue,
    recipient_hash,
)
from core import http
from core.exceptions import ApplicationError
from core.storage import private_delete, private_open, private_storage
from core.timefmt import parse_datetime
from core.zips import ZIP_MAGIC, Budget, Wording, ZipLimits, size_text, zip_open
from earners.models import Earner
from imports.legacy import legacy_record, legacy_target, strip_nul
from imports.models import LegacyKind
from imports.progress import Progress
from imports.report import Report
from issuers.models import Issuer
from issuers.permissions import MANAGE_TEMPLATES, require_role
from templates_app.services import template_create

MAX_FILES = 500  # per zip
MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # the files of one upload, as sent
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the badges and lists read from them, expanded
MAX_ZIP_MEMBERS = 2000  # the badges, their folders, a Mac's __MACOSX copies, lists
MAX_ZIP_DIRECTORY_BYTES = 512 * 1024  # 2,000 entries with 200-character names: 500 KB
READ_SECONDS = 5.0  # reading and checking one upload, all its files together
ZIP_WORDING = Wording(
    members=gettext_lazy(
        "The zip file has %(count)s entries; a zip of badges has at most %(limit)s."
    ),
    member_too_large=gettext_lazy(
        "%(member)s in the zip file expands to %(size)s; a badge image or list is at most "
        "%(limit)s."
    ),
)
IMAGE_SUFFIXES = (".png", ".svg")
LIST_SUFFIXES = (".txt", ".csv", ".url")
URL_RE = re.compile(r"https?://\S+")
# The assertion's fields that a baked copy must share with the hosted one.
COMPARED = ("id", "recipient", "badge", "issuedOn", "expires")


@dataclass(frozen=True)
class Document:
    """One badge to import: a baked image (`data`) or a hosted assertion URL."""

    name: str
    url: str = ""
    data: bytes | None = None


def _refuse(message: str):
    raise ApplicationError(message)


# --- reading what was uploaded -----------------------------------------------------------


def documents_from_text(text: str) -> list[Document]:
    """Hosted assertion URLs, one a line (anything else on a line is ignored)."""
    urls = URL_RE.findall(text or "")
    return [Document(name=url, url=url) for url in dict.fromkeys(u.rstrip(",;") for u in urls)]


class _Reading(Budget):
    """One upload being read: its time, and the badges and bytes read so far."""

    def __init__(self):
        super().__init__(seconds=READ_SECONDS, field="files", slow=ZIP_WORDING.slow)
        self.documents: list[Document] = []
        self.size = 0

    def add(self, document: Document) -> None:
        self.documents.append(document)
        self.size += len(document.data or b"")
        if self.size > MAX_DOCUMENT_BYTES:
            self.refuse(
                _("The badges uploaded come to more than %(limit)s; upload fewer at once.")
                % {"limit": size_text(MAX_DOCUMENT_BYTES)}
            )
        self.tick()


def documents_from_uploads(uploads) -> list[Document]:
    """The badges in files uploaded together (each a baked PNG or SVG, or a zip of them
    and of lists of URLs), read within the module docstring's limits; a crafted file is
    refused (ZipRefused, on `files`) naming it and the problem."""
    reading = _Reading()
    sent = 0
    for upload in uploads:
        sent += upload.size
        if sent > MAX_UPLOAD_BYTES:
            reading.refuse(
                _("The files uploaded are more than %(limit)s together; upload fewer at once.")
                % {"limit": size_text(MAX_UPLOAD_BYTES)}
            )
        _read_upload(upload.name, upload.read(), reading)
    return reading.documents


def documents_from_upload(name: str, data: bytes) -> list[Document]:
    """The badges in one uploaded file, as `documents_from_uploads` reads them."""
    reading = _Reading()
    _read_upload(name, data, reading)
    return reading.documents


def _read_upload(name: str, data: bytes, reading: _Reading) -> None:
    if data.startswith(ZIP_MAGIC):
        _read_zip(name, data, reading)
    else:
        _read_image(name, data, reading)


def _read_image(name: str, data: bytes, reading: _Reading) -> None:
    """Keep the image, read first as the import will (bounded): a crafted one is refused
    now; one that is no baked badge is said in the run's report, with the others."""
    try:
        unbake(data)
    except BakingLimit as exc:
        reading.refuse(_("%(name)s: %(problem)s") % {"name": name, "problem": exc})
    except BakingError:
        pass
    reading.add(Document(name=name, data=data))


def _hidden(name: str) -> bool:
    return name.startswith(("__MACOSX/", ".")) or "/." in name


def _read_zip(name: str, data: bytes, reading: _Reading) -> None:
    limits = ZipLimits(
        max_bytes=MAX_UPLOAD_BYTES,
        max_members=MAX_ZIP_MEMBERS,
        max_directory=MAX_ZIP_DIRECTORY_BYTES,
        max_expanded=MAX_DOCUMENT_BYTES,
        max_member=settings.BADGE_IMAGE_MAX_BYTES,
        wording=ZIP_WORDING,
    )
    with zip_open(data, limits=limits, budget=reading) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
        images = sum(1 for m in members if m.filename.lower().endswith(IMAGE_SUFFIXES))
        _check_count(images, reading)
        before = len(reading.documents)
        for member in members:
            lower = member.filename.lower()
            if lower.endswith(".zip"):
                _refuse_nested(member.filename, reading)
            if not lower.endswith(IMAGE_SUFFIXES + LIST_SUFFIXES):
                continue
            content = archive.read(member)
            if content.startswith(ZIP_MAGIC):
                _refuse_nested(member.filename, reading)
            if lower.endswith(IMAGE_SUFFIXES):
                _read_image(member.filename, content, reading)
                continue
            for document in documents_from_text(content.decode("utf-8", "replace")):
                reading.add(document)
            _check_count(len(reading.documents) - before, reading)
    if len(reading.documents) == before:
        reading.refuse(
            _("%(name)s holds no PNG or SVG badge and no list of badge URLs.") % {"name": name}
        )


def _check_count(count: int, reading: _Reading) -> None:
    if count > MAX_FILES:
        reading.refuse(
            _("At most %(limit)s badges per zip; this one has more.") % {"limit": MAX_FILES}
        )


def _refuse_nested(member: str, reading: _Reading) -> None:
    reading.refuse(
        _("%(member)s in the zip file is itself a zip; unzip it and upload the badges it holds.")
        % {"member": member}
    )


# --- fetching images safely ----------------------------------------------------------------


def fetch_image(url: str) -> bytes:
    """A badge class image: a data URI, or an http(s) URL fetched through the guarded
    client (core.http: public addresses only unless OUTBOUND_ALLOWED_NETWORKS, redirects
    re-checked, size and time limited)."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        if ";base64" not in header:
            _refuse("The badge class image is a data URI that is not base64.")
        return base64.b64decode(payload)
    try:
        response = http.fetch(url, max_bytes=settings.BADGE_IMAGE_MAX_BYTES)
    except http.OutboundError as exc:
        if exc.reason == "too_large":
            _refuse("The badge class image is too large.")
        _refuse(exc.message)
    if response.status_code != 200:
        _refuse(f"The badge class image at {url} answered HTTP {response.status_code}.")
    return response.content


# --- checks ------------------------------------------------------------------------------------


def _baked(document: Document) -> tuple[str, dict | None]:
    """(hosted URL, the baked assertion when a whole one is baked in) of an image."""
    url = ob2_verify.source_from_image(ContentFile(document.data, name=document.name))
    try:
        text = (unbake(document.data) or "").strip()
    except BakingError:
        text = ""
    embedded = None
    if text.startswith("{"):
        try:
            embedded = json.loads(text)
        except (ValueError, RecursionError):  # nested deeper than Python recurses
            embedded = None
    return url, embedded if isinstance(embedded, dict) else None


def _comparable(field: str, value):
    if value in (None, ""):
        return None
    if field == "badge" and isinstance(value, dict):
        return value.get("id")
    if field in ("issuedOn", "expires"):
        try:
            return parse_datetime(str(value))
        except ValueError:
            return value
    if field == "recipient" and isinstance(value, dict):
        return {k: value.get(k) for k in ("type", "identity", "hashed", "salt")}
    return value


def check_untampered(embedded: dict, hosted: dict) -> None:
    """Refuse an image whose baked assertion says something its issuer's does not."""
    differ = [
        field
        for field in COMPARED
        if _comparable(field, embedded.get(field)) != _comparable(field, hosted.get(field))
    ]
    if differ:
        host = urlsplit(str(hosted.get("id") or "")).netloc or "its issuer"
        _refuse(
            "This image was altered: the assertion baked into it differs from the one "
            f"{host} hosts ({', '.join(differ)}). Ask for the original badge image."
        )


def match_recipient(recipient, candidates) -> str | None:
    """The address among `candidates` that a (possibly hashed) recipient identity is."""
    if not isinstance(recipient, dict) or (recipient.get("type") or "email") != "email":
        _refuse("Only badges awarded to an email address can be imported.")
    identity = str(recipient.get("identity") or "")
    if not recipient.get("hashed"):
        return identity.strip().lower() or None
    algorithm, _, digest = identity.partition("$")
    salt = str(recipient.get("salt") or "")
    digest = digest.lower()
    for email in candidates:
        if algorithm.lower() == "sha256":
            computed = recipient_hash(email, salt).partition("$")[2]
        elif algorithm.lower() == "md5":
            computed = hashlib.md5((email + salt).encode()).hexdigest()  # noqa: S324
        else:
            _refuse(f"Unknown recipient hash {algorithm!r}.")
        if computed == digest:
            return email
    return None


# --- the import ---------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _legacy_key(url: str) -> str:
    return url if len(url) <= 255 else "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def _criteria(badgeclass: dict) -> tuple[str, str]:
    criteria = badgeclass.get("criteria")
    if isinstance(criteria, str):
        return criteria, ""
    if isinstance(criteria, dict):
        return str(criteria.get("id") or ""), str(criteria.get("narrative") or "")
    return "", ""


def _alignments(badgeclass: dict) -> list[dict]:
    items = badgeclass.get("alignment") or badgeclass.get("alignments") or []
    keys = ("targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode")
    return [{k: item[k] for k in keys if item.get(k)} for item in items if isinstance(item, dict)]


def _template_for(issuer: Issuer, badgeclass: dict, actor):
    url = str(badgeclass.get("id") or "")
    source, key = _origin(url), _legacy_key(url)
    template = legacy_target(source=source, kind=LegacyKind.BADGECLASS, legacy_id=key)
    if template is not None:
        if template.issuer_id != issuer.pk:
            _refuse(f"Its badge class was imported into {template.issuer.name} already.")
        return template, False
    image = badgeclass.get("image")
    if isinstance(image, dict):
        image = image.get("id")
    if not isinstance(image, str) or not image:
        _refuse("Its badge class has no image.")
    criteria_url, narrative = _criteria(badgeclass)
    description = str(badgeclass.get("description") or "").strip()
    template = template_create(
        issuer=issuer,
        actor=actor,
        name=str(badgeclass.get("name") or "Badge")[:255],
        description=description,
        criteria_url=criteria_url[:1024],
        criteria_narrative=narrative or ("" if criteria_url else description or "Imported."),
        tags=[t for t in badgeclass.get("tags") or [] if isinstance(t, str) and t.strip()],
        alignments=_alignments(badgeclass),
        image=ContentFile(fetch_image(image), name=image.rsplit("/", 1)[-1][:80] or "badge"),
    )
    legacy_record(source=source, kind=LegacyKind.BADGECLASS, legacy_id=key, target=template)
    return template, True


def _evidence(assertion: dict) -> list[dict]:
    items = assertion.get("evidence") or []
    items = items if isinstance(items, list) else [items]
    evidence = []
    for item in items:
        if isinstance(item, str):
            evidence.append({"url": item})
        elif isinstance(item, dict):
            entry = {"url": item.get("id") or "", "narrative": item.get("narrative") or ""}
            evidence.append({k: str(v) for k, v in entry.items() if v})
    try:
        return evidence_clean([e for e in evidence if e])
    except ApplicationError:
        return []


def _legacy_public_id(url: str) -> str:
    """`<id>` of an old `/public/assertions/<id>` URL (what a moved domain keeps), or ""."""
    match = re.search(r"/public/assertions/([^/?#]+?)(?:\.json)?/?$", urlsplit(url).path)
    return match.group(1) if match else ""


def _import_one(document: Document, *, issuer, actor, candidates, report) -> None:
    embedded = None
    url = document.url
    if document.data is not None:
        url, embedded = _baked(document)
    if url.strip().startswith(settings.SITE_URL + "/"):
        _refuse("This badge was issued on this platform; there is nothing to import.")
    verified = ob2_verify.verify_hosted_badge(url, None)
    verified = dataclasses.replace(
        verified,
        assertion=strip_nul(verified.assertion),
        badgeclass=strip_nul(verified.badgeclass),
    )
    if embedded is not None:
        check_untampered(embedded, verified.assertion)
    email = verified.recipient_email or match_recipient(
        verified.assertion.get("recipient"), candidates
    )
    if not email:
        _refuse(
            "Its recipient is a hashed email that matches none of this issuer's earners nor "
            "the addresses given; add the earner's email to the upload."
        )
    key = _legacy_key(verified.source_url)
    with transaction.atomic():
        if Assertion.objects.filter(organization=issuer, imp_legacy_id=key).exists():
            report.add(LegacyKind.ASSERTION, "unchanged")
            return
        template, new_template = _template_for(issuer, verified.badgeclass, actor)
        badge = {
            "recipient_email": email,
            "emitted_at": verified.issued_on,
            "expires_at": verified.expires_at,
            "imp_legacy_id": key,
            "narrative": str(verified.assertion.get("narrative") or "").strip(),
            "evidence": _evidence(verified.assertion),
        }
        try:
            [assertion] = assertions_import(
                template=template, rows=[badge], actor=actor, keep_source_dates=True
            )
        except ApplicationError as exc:
            details = exc.field_errors.get("badges", {}).get("0", {})
            messages = [m for ms in details.values() for m in ms] if details else [exc.message]
            _refuse(" ".join(messages))
        public_id = _legacy_public_id(verified.source_url)
        if public_id:
            legacy_record(
                source=_origin(verified.source_url),
                kind=LegacyKind.ASSERTION,
                legacy_id=public_id,
                target=assertion,
            )
        report.add(LegacyKind.ASSERTION, "created")
        warning = expiry_before_issue(badge)
        if warning:
            report.warn("file", document.name, warning)
        if new_template:
            report.add(LegacyKind.BADGECLASS, "created")


def documents_import(
    *, issuer: Issuer, documents, actor=None, emails=(), progress: Progress | None = None
) -> Report:
    """Verify and import each document; a refused one is an error of the report, with
    the reason, and the others go on."""
    require_role(actor, issuer, MANAGE_TEMPLATES)
    progress = progress or Progress()
    documents = list(documents)
    progress.add_total(len(documents))
    report = Report()
    candidates = list(
        dict.fromkeys(
            [e.strip().lower() for e in emails if e and e.strip()]
            + list(Earner.objects.filter(issuer=issuer).values_list("email", flat=True))
        )
    )
    for document in documents:
        try:
            _import_one(document, issuer=issuer, actor=actor, candidates=candidates, report=report)
        except ApplicationError as exc:
            report.fail("file", document.name, exc.describe())
        with transaction.atomic():
            progress.note(report)
            progress.advance()
    return report


# --- queued for a worker -------------------------------------------------------------------

STORE_DIR = "imports"


def _store_name(run) -> str:
    return f"{STORE_DIR}/{run.entity_id}.jsonl"


def documents_store(run, documents, emails) -> None:
    """Keep what was uploaded beside its run until a worker imports it."""
    lines = [json.dumps({"emails": list(emails)})]
    for document in documents:
        data = base64.b64encode(document.data).decode() if document.data is not None else None
        lines.append(json.dumps({"name": document.name, "url": document.url, "data": data}))
    name = _store_name(run)
    stored = private_storage.save(name, ContentFile(("\n".join(lines) + "\n").encode()))
    if stored != name:
        private_storage.delete(stored)
        raise ApplicationError(_("The upload could not be stored; try again."))


def documents_load(run) -> tuple[list[Document], list[str]]:
    with private_open(_store_name(run)) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    header, items = lines[0], lines[1:]
    documents = [
        Document(
            name=item["name"],
            url=item["url"] or "",
            data=base64.b64decode(item["data"]) if item["data"] is not None else None,
        )
        for item in items
    ]
    return documents, header.get("emails") or []


def documents_forget(run) -> None:
    private_delete(_store_name(run))
