"""Import from a Badgr server (or anything speaking its v2 API, this platform included).

`badgr_import` reads issuers, their badge classes and every badge of each class
(revoked and expired too) and makes the same here:

- an old issuer becomes an Issuer (or, with `into`, everything lands in that issuer);
- a badge class becomes a BadgeTemplate with its version 1 (image, criteria,
  alignments, tags, default expiry); later changes on the old server make a new version;
- a badge becomes an Assertion with `imported = True` and `imp_legacy_id` = the old
  entityId: recipient, issue date, expiry, narrative, evidence, extensions, and its
  revocation with the reason. No email is sent and no credit is charged.

Idempotent and resumable: issuers and badge classes are found again through
LegacyObject, badges through (issuer, imp_legacy_id), which is unique. Each issuer,
each badge class and each page of badges is one transaction, so a run that dies leaves
whole pages behind, and running it again skips them (they are "unchanged") and carries
on. A second run of a finished import changes nothing.
"""

import logging
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions.api.v2.serializers import recipient_name
from assertions.models import Assertion, AssertionStatus
from assertions.selectors import assertions_keyed
from assertions.services import (
    MAX_IMPORT,
    assertion_revoke,
    assertion_update,
    assertions_import,
    evidence_as_text,
    evidence_clean,
    imported_row_clean,
)
from core.exceptions import ApplicationError
from core.iterables import chunks
from core.timefmt import is_valid_zone, parse_datetime
from core.uploads import AcceptedImage, ImageRefused, image_accept
from imports.badgr_client import BadgrClient, BadgrError
from imports.legacy import legacy_record, legacy_record_assertions, legacy_target
from imports.models import LegacyKind
from imports.progress import Progress
from imports.report import LINKED, Report
from issuers.models import Issuer
from issuers.services import issuer_create, issuer_update
from templates_app.models import BadgeTemplate, Kind, ValidityUnit
from templates_app.services import template_archive, template_create, template_update

log = logging.getLogger(__name__)

# In a dry run, a badge class that would be created (there is no template yet).
WOULD_CREATE = object()


def badgr_import(
    *,
    client: BadgrClient,
    issuer_ids=None,
    into: Issuer | None = None,
    owner=None,
    dry_run: bool = False,
    anyway: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Import what `client`'s token can see (or only the issuers `issuer_ids`).

    Raises BadgrError when the server cannot be read at all (bad URL, bad token); a
    single object that cannot be imported is an entry in the report's errors instead.
    """
    progress = progress or Progress()
    report = Report(dry_run=dry_run)
    try:
        _run(
            client=client,
            issuer_ids=issuer_ids,
            into=into,
            owner=owner,
            dry_run=dry_run,
            anyway=anyway,
            progress=progress,
            report=report,
        )
    except BadgrError as exc:
        # The source failed (down, token revoked, rate-limited): stop at once, saying
        # so, rather than trying every remaining item. What was done is committed.
        exc.report = report
        if exc.fatal:
            exc.message = f"{exc.message} {STOPPED}"
        raise
    progress.stage("Finished")
    return report


STOPPED = _(
    "The import stopped there; what was imported so far is kept, and running it again "
    "carries on from where it stopped."
)


def _run(*, client, issuer_ids, into, owner, dry_run, anyway, progress, report) -> None:
    source = client.origin
    progress.stage("Reading issuers")
    remote_issuers = _remote_issuers(client, issuer_ids)
    if not remote_issuers:
        raise BadgrError(
            _(
                "The token's user is staff on no issuer at %(origin)s, so there is nothing to "
                "import: use a token of a staff member (owner, editor or staff) of the "
                "issuers to bring."
            )
            % {"origin": source},
            fatal=True,
        )

    # Every badge class first: the number of them is the progress bar's length.
    plan = []
    for remote in remote_issuers:
        try:
            classes = client.badgeclasses(remote["entityId"])
        except BadgrError as exc:
            _item_failure(exc)
            report.fail(LegacyKind.ISSUER, remote.get("entityId"), exc.message)
            continue
        plan.append((remote, classes))
        progress.add_total(len(classes))

    for remote, classes in plan:
        name = remote.get("name") or remote.get("entityId")
        progress.stage(f"Issuer {name}")
        try:
            issuer = _import_issuer(
                remote,
                client=client,
                source=source,
                into=into,
                owner=owner,
                report=report,
                dry_run=dry_run,
            )
        except (ApplicationError, BadgrError) as exc:
            _item_failure(exc)
            report.fail(LegacyKind.ISSUER, remote.get("entityId"), _message(exc))
            progress.advance(len(classes))
            continue
        for remote_class in classes:
            progress.stage(f"{name}: {remote_class.get('name') or remote_class.get('entityId')}")
            _import_badgeclass_with_badges(
                remote_class,
                issuer=issuer,
                client=client,
                source=source,
                report=report,
                dry_run=dry_run,
                anyway=anyway,
                progress=progress,
            )
            progress.advance()


def _item_failure(exc) -> None:
    """Carry on past one item's failure; a failure of the source itself stops the run."""
    if isinstance(exc, BadgrError) and exc.fatal:
        raise exc


def _message(exc) -> str:
    if isinstance(exc, ApplicationError):
        return exc.describe()
    return getattr(exc, "message", None) or str(exc)


def _remote_issuers(client: BadgrClient, issuer_ids) -> list[dict]:
    visible = client.issuers()
    if not issuer_ids:
        return visible
    by_id = {i.get("entityId"): i for i in visible}
    chosen = []
    for entity_id in issuer_ids:
        if entity_id in by_id:
            chosen.append(by_id[entity_id])
            continue
        try:
            chosen.append(client.issuer(entity_id))
        except BadgrError as exc:
            if exc.status == 404:
                raise BadgrError(
                    _("The old server has no issuer %(entity_id)s that this token can see.")
                    % {"entity_id": entity_id}
                ) from None
            raise
    return chosen


# --- issuers -----------------------------------------------------------------------------


def _issuer_fields(remote: dict) -> dict:
    fields = {
        "name": (remote.get("name") or "").strip(),
        "email": (remote.get("email") or "").strip().lower(),
        "url": (remote.get("url") or "").strip(),
        "description": (remote.get("description") or "").strip(),
    }
    zone = remote.get("timezone")
    if isinstance(zone, str) and is_valid_zone(zone):
        fields["timezone"] = zone
    return fields


def _image_file(client: BadgrClient, url, name: str) -> AcceptedImage | None:
    """The issuer's image through the upload gate; one it refuses is left out (the issuer
    and its badges still come), and said in the log."""
    if not url or not isinstance(url, str):
        return None
    try:
        return image_accept(ContentFile(client.download(url), name=name))
    except ImageRefused as exc:
        log.warning("Badgr import: the issuer image %s was refused: %s", name, exc.message)
        return None


@transaction.atomic
def _import_issuer(remote, *, client, source, into, owner, report, dry_run) -> Issuer | None:
    legacy_id = remote.get("entityId")
    if not legacy_id:
        raise ApplicationError(_("An issuer has no entityId."))
    existing = legacy_target(source=source, kind=LegacyKind.ISSUER, legacy_id=legacy_id)
    if into is not None:
        if existing is not None and existing.pk != into.pk:
            raise ApplicationError(
                _("This issuer was imported into %(issuer)s before; import it there again.")
                % {"issuer": existing.name}
            )
        if existing is None and not dry_run:
            legacy_record(source=source, kind=LegacyKind.ISSUER, legacy_id=legacy_id, target=into)
        report.add(LegacyKind.ISSUER, LINKED if existing is None else "unchanged")
        return into
    fields = _issuer_fields(remote)
    if existing is not None:
        changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
        if not existing.image and remote.get("image"):
            image = _image_file(client, remote["image"], f"{legacy_id}.png")
            if image is not None:
                changes["image"] = image
        if changes and not dry_run:
            issuer_update(issuer=existing, actor=None, **changes)
        report.add(LegacyKind.ISSUER, "updated" if changes else "unchanged")
        return existing
    report.add(LegacyKind.ISSUER, "created")
    if dry_run:
        return None
    issuer = issuer_create(
        actor=None,
        owner=owner,
        image=_image_file(client, remote.get("image"), f"{legacy_id}.png"),
        **fields,
    )
    legacy_record(source=source, kind=LegacyKind.ISSUER, legacy_id=legacy_id, target=issuer)
    return issuer


# --- badge classes -----------------------------------------------------------------------


def _template_fields(remote: dict) -> dict:
    alignments = []
    for item in remote.get("alignments") or []:
        if isinstance(item, dict):
            alignments.append({k: v for k, v in item.items() if v not in (None, "")})
    fields = {
        "name": (remote.get("name") or "").strip(),
        "description": (remote.get("description") or "").strip(),
        "criteria_url": (remote.get("criteriaUrl") or "").strip(),
        "criteria_narrative": (remote.get("criteriaNarrative") or "").strip(),
        "tags": [t for t in (remote.get("tags") or []) if isinstance(t, str)],
        "alignments": alignments,
        "validity_amount": None,
        "validity_unit": "",
    }
    if not fields["criteria_url"] and not fields["criteria_narrative"]:
        # Badgr requires criteria; a class without any still needs some here.
        fields["criteria_narrative"] = fields["description"] or "Imported badge."
    expires = remote.get("expires")
    if isinstance(expires, dict) and expires.get("amount"):
        unit = str(expires.get("duration") or "").lower()
        if unit not in ValidityUnit.values:
            raise ApplicationError(
                _("Unknown expiry duration %(value)r.") % {"value": expires.get("duration")}
            )
        fields["validity_amount"], fields["validity_unit"] = int(expires["amount"]), unit
    if remote.get("kind") in Kind.values:  # this platform's own /v2 says what kind it is
        fields["kind"] = remote["kind"]
    return fields


def _template_image(client: BadgrClient, remote: dict):
    """(the image through the upload gate, its sha256 as it would be stored)."""
    url = remote.get("image")
    if not url:
        raise ApplicationError(_("The badge class has no image."))
    upload = ContentFile(client.download(url), name=url.rsplit("/", 1)[-1][:80] or "badge")
    image = image_accept(upload)
    return image, image.sha256


@transaction.atomic
def _import_badgeclass(remote, *, issuer, client, source, report, dry_run):
    legacy_id = remote.get("entityId")
    if not legacy_id:
        raise ApplicationError(_("A badge class has no entityId."))
    fields = _template_fields(remote)
    archived = bool(remote.get("archived"))
    image, sha = _template_image(client, remote)
    existing = legacy_target(source=source, kind=LegacyKind.BADGECLASS, legacy_id=legacy_id)
    if existing is None:
        report.add(LegacyKind.BADGECLASS, "created")
        if dry_run:
            return WOULD_CREATE
        template = template_create(issuer=issuer, actor=None, image=image, **fields)
        if archived:
            template_archive(template=template, actor=None)
        legacy_record(
            source=source, kind=LegacyKind.BADGECLASS, legacy_id=legacy_id, target=template
        )
        return template
    if issuer is not None and existing.issuer_id != issuer.pk:
        raise ApplicationError(
            _("This badge class was imported into %(issuer)s before; import it there again.")
            % {"issuer": existing.issuer.name}
        )
    changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
    if sha != existing.current_version.image_sha256:
        changes["image"] = image
    if changes and not dry_run:
        template_update(template=existing, actor=None, **changes)
    if archived != existing.archived:
        changes["archived"] = archived
        if not dry_run:
            template_archive(template=existing, actor=None, archived=archived)
    report.add(LegacyKind.BADGECLASS, "updated" if changes else "unchanged")
    return BadgeTemplate.objects.select_related("current_version").get(pk=existing.pk)


def _import_badgeclass_with_badges(
    remote, *, issuer, client, source, report, dry_run, progress, anyway=False
):
    try:
        template = _import_badgeclass(
            remote, issuer=issuer, client=client, source=source, report=report, dry_run=dry_run
        )
    except (ApplicationError, BadgrError) as exc:
        _item_failure(exc)
        report.fail(LegacyKind.BADGECLASS, remote.get("entityId"), _message(exc))
        return
    try:
        for page in client.assertion_pages(remote["entityId"]):
            import_assertion_page(
                page,
                issuer=issuer,
                template=template,
                source=source,
                report=report,
                dry_run=dry_run,
                anyway=anyway,
                progress=progress,
            )
    except BadgrError as exc:
        _item_failure(exc)
        # The class itself is counted already (created, updated...): its badges that
        # could not be read are a problem of its own, not a second count.
        report.fail(
            LegacyKind.BADGECLASS,
            remote.get("entityId"),
            _("Its badges could not all be read: %(reason)s") % {"reason": exc.message},
            count=False,
        )


# --- badges ------------------------------------------------------------------------------


def _date(value, name: str, *, required: bool) -> datetime | None:
    if value in (None, ""):
        if required:
            raise ApplicationError(_("It has no %(name)s.") % {"name": name})
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        raise ApplicationError(
            _("Its %(name)s is not a date (%(value)r).") % {"name": name, "value": value}
        ) from None


def assertion_row(item: dict) -> dict:
    """A Badgr assertion as the fields of an imported badge here; ApplicationError when
    it cannot be one."""
    recipient = item.get("recipient") or {}
    if not isinstance(recipient, dict) or (recipient.get("type") or "email") != "email":
        raise ApplicationError(_("Only badges awarded to an email address can be imported."))
    email = recipient.get("plaintextIdentity")
    if not email and not recipient.get("hashed"):
        email = recipient.get("identity")
    if not email:
        raise ApplicationError(
            _(
                "The recipient's email is hashed and the old server did not show it "
                "(plaintextIdentity); use a token of the issuer's staff."
            )
        )
    extensions = item.get("extensions") if isinstance(item.get("extensions"), dict) else {}
    first, last = recipient_name(extensions)
    # As given: imported_row_clean checks it (and, told "anyway", keeps bad links as text).
    evidence = [
        {k: v for k, v in e.items() if k in ("url", "narrative") and v}
        for e in (item.get("evidence") or [])
        if isinstance(e, dict)
    ]
    return {
        "recipient_email": email,
        "recipient_first_name": first,
        "recipient_last_name": last,
        "emitted_at": _date(item.get("issuedOn"), "issue date (issuedOn)", required=True),
        "expires_at": _date(item.get("expires"), "expiry", required=False),
        "narrative": (item.get("narrative") or "").strip(),
        "evidence": evidence,
        "additional_details": {"extensions": extensions} if extensions else {},
        "revoked": bool(item.get("revoked")),
        "revoked_reason": (item.get("revocationReason") or "").strip(),
        "imp_legacy_id": str(item.get("entityId") or "").strip(),
    }


UPDATED_FIELDS = ("emitted_at", "expires_at", "narrative", "evidence", "additional_details")


def _changes(assertion: Assertion, row: dict) -> dict:
    changes = {f: row[f] for f in UPDATED_FIELDS if getattr(assertion, f) != row[f]}
    for name in ("recipient_first_name", "recipient_last_name"):
        # Only names the old server gave: otherwise the earner's own names stay.
        if row[name] and getattr(assertion, name) != row[name]:
            changes[name] = row[name]
    return changes


def _stored_evidence(evidence: list, anyway: bool) -> list:
    """The evidence as an imported badge stores it (as a new import would)."""
    if anyway:
        evidence = evidence_as_text(evidence)[0]
    try:
        return evidence_clean(evidence)
    except ApplicationError as exc:
        problems = exc.field_errors.get("evidence") or [exc.message]
        raise ApplicationError(" ".join(problems)) from None


def _update_existing(assertion: Assertion, row: dict, dry_run: bool, anyway: bool = False) -> bool:
    """Bring an imported badge up to date with the old server; whether it changed."""
    if assertion.recipient_email != row["recipient_email"].strip().lower():
        raise ApplicationError(
            _("Imported before for %(old)s; the old server now names %(new)s. Left as it was.")
            % {"old": assertion.recipient_email, "new": row["recipient_email"]}
        )
    revoked = assertion.status == AssertionStatus.REVOKED
    row = {**row, "evidence": _stored_evidence(row["evidence"], anyway)}
    changes = {} if revoked else _changes(assertion, row)
    revoke = row["revoked"] and not revoked
    if dry_run:
        return bool(changes or revoke)
    if changes:
        assertion_update(assertion=assertion, actor=None, **changes)
    if revoke:
        # Badgr records no revocation date: "revoked, date unknown", not today.
        assertion_revoke(
            assertion=assertion,
            actor=None,
            reason=row["revoked_reason"],
            notify=False,
            date_unknown=True,
        )
    return bool(changes or revoke)


def import_assertion_page(
    items, *, issuer, template, source, report, dry_run, progress=None, anyway=False
):
    """One page of a badge class's badges, in one transaction. `anyway`: keep what the
    source holds where the data allows (`imported_row_clean`)."""
    progress = progress or Progress()
    now = timezone.now()
    with transaction.atomic():
        ids = [str(i.get("entityId") or "") for i in items if isinstance(i, dict)]
        existing = {}
        if issuer is not None and ids:
            existing = {a.imp_legacy_id: a for a in assertions_keyed(issuer, "imp_legacy_id", ids)}
        fresh = []  # the rows of the badges not imported before
        for item in items:
            legacy_id = item.get("entityId") if isinstance(item, dict) else None
            if not legacy_id:
                report.fail(LegacyKind.ASSERTION, "", "A badge without an entityId was skipped.")
                continue
            try:
                row = assertion_row(item)
                if legacy_id in existing:
                    changed = _update_existing(existing[legacy_id], row, dry_run, anyway)
                    report.add(LegacyKind.ASSERTION, "updated" if changed else "unchanged")
                    continue
            except ApplicationError as exc:
                report.fail(LegacyKind.ASSERTION, legacy_id, exc.message)
                continue
            clean, errors = imported_row_clean(
                None if template is WOULD_CREATE else template,
                row,
                now,
                keep_source_dates=True,
                anyway=anyway,
            )
            if errors:
                messages = [f"{field}: {' '.join(m)}" for field, m in errors.items()]
                report.fail(LegacyKind.ASSERTION, legacy_id, "; ".join(messages))
                continue
            for warning in clean["warnings"]:
                report.warn(LegacyKind.ASSERTION, legacy_id, warning)
            fresh.append(row)
        if fresh and not dry_run:
            _create(fresh, template=template, source=source, report=report, anyway=anyway)
        elif fresh:
            report.add(LegacyKind.ASSERTION, "created", len(fresh))
        progress.note(report)


def _create(rows, *, template, source, report, anyway=False) -> None:
    for some in chunks(rows, MAX_IMPORT):
        try:
            created = assertions_import(
                template=template, rows=some, keep_source_dates=True, anyway=anyway
            )
        except ApplicationError as exc:  # rows were checked: this is a concurrent import
            for row in some:
                report.fail(LegacyKind.ASSERTION, row["imp_legacy_id"], exc.message)
            continue
        legacy_record_assertions(source=source, assertions=created)
        report.add(LegacyKind.ASSERTION, "created", len(created))
