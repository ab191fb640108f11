import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from assertions import public_cache
from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.inserts import insert_many
from core.models import EmailKind
from core.services import email_queue
from core.timefmt import format_v1
from earners.models import Earner
from earners.services import earner_get_or_create_locked
from issuers.permissions import ASSIGN, require_role
from issuers.services import credits_reserve
from templates_app.models import BadgeTemplate, ValidityUnit

# `expires_at=TEMPLATE_DEFAULT` (the default) takes the template's default validity;
# `expires_at=None` means the badge never expires.
TEMPLATE_DEFAULT = object()
# Clocks of API clients drift; an issue date this far ahead is still "now".
ISSUED_ON_TOLERANCE = timedelta(minutes=5)

UPDATABLE_FIELDS = {
    "narrative",
    "expires_at",
    "emitted_at",
    "recipient_first_name",
    "recipient_last_name",
    "notes",
    "additional_details",
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "evidence",
}


@dataclass(frozen=True)
class IssueResult:
    assertion: Assertion
    created: bool  # False: an earlier award with the same idempotency key was returned


def _with_related(queryset):
    return queryset.select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )


def recipient_hash(email: str, salt: str) -> str:
    """Open Badges 2.0 hashed identity: sha256$ + hex(sha256(email + salt))."""
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def default_expiry(template: BadgeTemplate, issued_on: datetime) -> datetime | None:
    if not template.validity_amount:
        return None
    amount = template.validity_amount
    step = {
        ValidityUnit.DAYS: timedelta(days=amount),
        ValidityUnit.WEEKS: timedelta(weeks=amount),
        ValidityUnit.MONTHS: relativedelta(months=amount),
        ValidityUnit.YEARS: relativedelta(years=amount),
    }[template.validity_unit]
    return issued_on + step


def _is_web_url(url: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


def _clean_evidence(evidence) -> list[dict]:
    if not evidence:
        return []
    problems = []
    if not isinstance(evidence, list | tuple):
        raise ApplicationError(
            "Evidence must be a list.", field_errors={"evidence": ["Give a list."]}
        )
    cleaned = []
    for i, item in enumerate(evidence, start=1):
        if not isinstance(item, dict) or set(item) - {"url", "narrative"}:
            problems.append(f"Evidence {i} must be an object with url and/or narrative.")
            continue
        if not (item.get("url") or item.get("narrative")):
            problems.append(f"Evidence {i} needs a url or a narrative.")
            continue
        if item.get("url") and not _is_web_url(str(item["url"])):
            # Shown as a link on the public page: javascript: or data: would run there.
            problems.append(f"Evidence {i}: the url must be an http(s) address.")
            continue
        cleaned.append({k: str(v) for k, v in item.items() if v})
    if problems:
        raise ApplicationError("The evidence is not valid.", field_errors={"evidence": problems})
    return cleaned


def check_dates(*, emitted_at, expires_at, started, ended) -> None:
    errors = {}
    if expires_at is not None and expires_at <= emitted_at:
        errors["expires_at"] = ["The expiry must be after the issue date."]
    if started is not None and ended is not None and ended < started:
        errors["activity_ended_at"] = ["The activity cannot end before it starts."]
    if errors:
        raise ApplicationError("The dates are not consistent.", field_errors=errors)


def status_for(expires_at, now) -> str:
    return (
        AssertionStatus.INVALID
        if expires_at is not None and expires_at <= now
        else AssertionStatus.VALID
    )


def _event(assertion, kind, actor=None, **payload) -> AssertionEvent:
    return AssertionEvent.objects.create(
        assertion=assertion, kind=kind, actor=actor, payload=payload
    )


def _ensure_account(earner: Earner) -> tuple[User, bool]:
    """The earner's user account, made without a usable password if there is none; and
    whether the earner still has to choose a password (then the email says how).

    An account made by an earlier assignment whose earner never set a password counts
    as new again, so every award email until then carries the set-password link.
    """
    if earner.user_id:
        user = earner.user
    else:
        made = insert_many(
            [
                User(
                    email=earner.email,
                    password=make_password(None),
                    first_name=earner.first_name,
                    last_name=earner.last_name,
                )
            ],
            ignore_conflicts=True,  # the email has an account already: link that one
            key="email",
        )
        user = made[0] if made else User.objects.get(email=earner.email)
        earner.user = user
        earner.save(update_fields=["user", "updated_at"])
    return user, not user.has_usable_password()


def award_email(assertion: Assertion, user: User, *, new_account: bool) -> tuple[str, str, dict]:
    """Kind, subject and template context of the email that tells an earner of a badge."""
    version = assertion.badge_template_version
    issuer = assertion.organization
    context = {
        "recipient_name": assertion.recipient_name,
        "to_email": assertion.recipient_email,
        "issuer_name": issuer.name,
        "badge_name": version.name,
        "badge_image_url": version.image.url if version.image else "",
        "activity_title": assertion.activity_title,
        "assertion_url": assertion.url,
        "expires_at": format_v1(assertion.expires_at, issuer.timezone)
        if assertion.expires_at
        else "",
    }
    if new_account:
        context["set_password_user_id"] = user.pk
    kind = EmailKind.ACCOUNT_CREATED if new_account else EmailKind.BADGE_AWARDED
    subject = f'{issuer.name} awarded you "{version.name}"'
    return kind, subject, context


def _queue_award_email(assertion: Assertion, user: User, *, new_account: bool) -> None:
    kind, subject, context = award_email(assertion, user, new_account=new_account)
    email = email_queue(
        kind=kind,
        to_email=assertion.recipient_email,
        subject=subject,
        context=context,
        assertion=assertion,
        user=user,
    )
    _event(assertion, EventKind.EMAIL_QUEUED, email_id=email.pk, email_kind=kind)


def assertion_issue(
    *,
    template: BadgeTemplate,
    recipient_email: str,
    actor=None,
    recipient_first_name: str = "",
    recipient_last_name: str = "",
    issued_on: datetime | None = None,
    expires_at=TEMPLATE_DEFAULT,
    activity_title: str = "",
    activity_started_at: datetime | None = None,
    activity_ended_at: datetime | None = None,
    notes: str = "",
    narrative: str = "",
    evidence=None,
    additional_details: dict | None = None,
    metadata: dict | None = None,
    allow_duplicate: bool = True,
    notify: bool = True,
    idempotency_key: str | None = None,
    batch=None,
) -> IssueResult:
    """Award `template` to one earner.

    The earner is found or created (and, without an account, gets one with no usable
    password). With `notify`, one credit is charged and an email is queued: the
    badge-assignment email, or the account-creation email with a set-password link.
    Everything (badge, events, credit, outbox row) commits together or not at all.
    """
    issuer = template.issuer
    require_role(actor, issuer, ASSIGN)
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key).strip()[:255] or None
        if idempotency_key:
            earlier = (
                _with_related(Assertion.objects)
                .filter(organization=issuer, idempotency_key=idempotency_key)
                .first()
            )
            if earlier is not None:
                return IssueResult(earlier, created=False)
    try:
        with transaction.atomic():
            return IssueResult(
                _issue(
                    template=template,
                    issuer=issuer,
                    actor=actor,
                    recipient_email=recipient_email,
                    recipient_first_name=recipient_first_name,
                    recipient_last_name=recipient_last_name,
                    issued_on=issued_on,
                    expires_at=expires_at,
                    activity_title=activity_title,
                    activity_started_at=activity_started_at,
                    activity_ended_at=activity_ended_at,
                    notes=notes,
                    narrative=narrative,
                    evidence=evidence,
                    additional_details=additional_details,
                    metadata=metadata,
                    allow_duplicate=allow_duplicate,
                    notify=notify,
                    idempotency_key=idempotency_key,
                    batch=batch,
                ),
                created=True,
            )
    except IntegrityError:
        # A concurrent request with the same key committed first; everything this one
        # did (credit included) was rolled back with the transaction. Answer with theirs.
        if idempotency_key:
            earlier = (
                _with_related(Assertion.objects)
                .filter(organization=issuer, idempotency_key=idempotency_key)
                .first()
            )
            if earlier is not None:
                return IssueResult(earlier, created=False)
        raise


def _issue(
    *,
    template,
    issuer,
    actor,
    recipient_email,
    recipient_first_name,
    recipient_last_name,
    issued_on,
    expires_at,
    activity_title,
    activity_started_at,
    activity_ended_at,
    notes,
    narrative,
    evidence,
    additional_details,
    metadata,
    allow_duplicate,
    notify,
    idempotency_key,
    batch,
) -> Assertion:
    # The caller's instance may be stale: award the version that is current now. A narrow
    # read says whether it is; the template and its version are read again only if not.
    fresh = (
        BadgeTemplate.objects.filter(pk=template.pk)
        .values_list("current_version_id", "archived", "validity_amount", "validity_unit")
        .get()
    )
    loaded = (
        template.current_version_id,
        template.archived,
        template.validity_amount,
        template.validity_unit,
    )
    if fresh != loaded:
        template = BadgeTemplate.objects.select_related("current_version").get(pk=template.pk)
    if template.archived:
        raise ApplicationError(
            f'The badge template "{template.name}" is archived and cannot be awarded.',
            field_errors={"badgeclass": ["This badge template is archived."]},
            code="template_archived",
        )
    version = template.current_version
    if additional_details is not None and not isinstance(additional_details, dict):
        raise ApplicationError(
            "Additional details must be an object.",
            field_errors={"additional_details": ["Give an object."]},
        )
    evidence = _clean_evidence(evidence)
    now = timezone.now()
    issued_on = issued_on or now
    if issued_on > now + ISSUED_ON_TOLERANCE:
        raise ApplicationError(
            "A badge cannot be issued in the future.",
            field_errors={"issuedOn": ["Give a date and time that is not in the future."]},
        )
    if expires_at is TEMPLATE_DEFAULT:
        expires_at = default_expiry(template, issued_on)
    check_dates(
        emitted_at=issued_on,
        expires_at=expires_at,
        started=activity_started_at,
        ended=activity_ended_at,
    )

    # Locked: one award at a time per earner makes the duplicate check below race-free.
    earner = earner_get_or_create_locked(
        issuer=issuer,
        email=recipient_email,
        first_name=recipient_first_name,
        last_name=recipient_last_name,
        metadata=metadata,
    )
    if not allow_duplicate and (
        Assertion.objects.filter(
            earner=earner, badge_template=template, status=AssertionStatus.VALID
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exists()
    ):
        raise ConflictError(
            f'{earner.email} already holds the badge "{template.name}".',
            field_errors={"recipient": ["This recipient already holds this badge."]},
            code="duplicate_award",
        )
    user, new_account = _ensure_account(earner)
    if notify:
        credits_reserve(
            issuer=issuer, amount=1, actor=actor, batch=batch, note="Badge assignment email"
        )

    salt = secrets.token_hex(16)
    assertion = Assertion.objects.create(
        status=status_for(expires_at, now),
        badge_template_version=version,
        badge_template=template,
        organization=issuer,
        earner=earner,
        activity_title=(activity_title or "").strip(),
        activity_started_at=activity_started_at,
        activity_ended_at=activity_ended_at,
        recipient_email=earner.email,
        recipient_first_name=(recipient_first_name or "").strip() or earner.first_name,
        recipient_last_name=(recipient_last_name or "").strip() or earner.last_name,
        notes=notes or "",
        additional_details=additional_details or {},
        emitted_at=issued_on,
        expires_at=expires_at,
        recipient_salt=salt,
        recipient_hash=recipient_hash(earner.email, salt),
        narrative=narrative or "",
        evidence=evidence,
        batch=batch,
        created_by=actor,
        idempotency_key=idempotency_key or "",
    )
    _event(assertion, EventKind.ISSUED, actor, version=version.number, notify=notify)
    if notify:
        _queue_award_email(assertion, user, new_account=new_account)
    return assertion


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def assertion_update(*, assertion: Assertion, actor=None, **changes) -> Assertion:
    """Correct an awarded badge in place (no reissue): names, narrative, dates, notes..."""
    require_role(actor, assertion.organization, ASSIGN)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ApplicationError(
            f"These badge fields cannot be changed: {', '.join(sorted(unknown))}.",
            field_errors={field: ["This field cannot be changed."] for field in sorted(unknown)},
        )
    assertion = Assertion.objects.select_for_update().get(pk=assertion.pk)
    if assertion.status == AssertionStatus.REVOKED:
        raise ConflictError("A revoked badge cannot be changed.", code="revoked")
    if "evidence" in changes:
        changes["evidence"] = _clean_evidence(changes["evidence"])
    if "additional_details" in changes and not isinstance(changes["additional_details"], dict):
        raise ApplicationError(
            "Additional details must be an object.",
            field_errors={"additional_details": ["Give an object."]},
        )
    if changes.get("emitted_at", assertion.emitted_at) is None:
        raise ApplicationError(
            "A badge needs an issue date.", field_errors={"emitted_at": ["Required."]}
        )
    for field in (
        "narrative",
        "notes",
        "recipient_first_name",
        "recipient_last_name",
        "activity_title",
    ):
        if field in changes:
            changes[field] = (changes[field] or "").strip()

    diff = {}
    for field, value in changes.items():
        old = getattr(assertion, field)
        if old != value:
            diff[field] = [_json_value(old), _json_value(value)]
            setattr(assertion, field, value)
    if not diff:
        return assertion
    check_dates(
        emitted_at=assertion.emitted_at,
        expires_at=assertion.expires_at,
        started=assertion.activity_started_at,
        ended=assertion.activity_ended_at,
    )
    assertion.status = status_for(assertion.expires_at, timezone.now())
    assertion.save()
    _event(assertion, EventKind.UPDATED, actor, changes=diff)
    public_cache.invalidate_on_commit(assertion.entity_id)
    return assertion


@transaction.atomic
def assertion_revoke(
    *, assertion: Assertion, actor=None, reason: str = ""
) -> tuple[Assertion, bool]:
    """Revoke a badge. Idempotent: revoking a revoked badge changes nothing (False)."""
    require_role(actor, assertion.organization, ASSIGN)
    assertion = Assertion.objects.select_for_update().get(pk=assertion.pk)
    if assertion.status == AssertionStatus.REVOKED:
        return assertion, False
    assertion.status = AssertionStatus.REVOKED
    assertion.revoked_at = timezone.now()
    assertion.revoked_reason = (reason or "").strip()
    assertion.save(update_fields=["status", "revoked_at", "revoked_reason", "updated_at"])
    _event(assertion, EventKind.REVOKED, actor, reason=assertion.revoked_reason)
    # Its bit in the issuer's Bitstring Status List (Open Badges 3.0 credentials).
    from credentials.services import status_entry_revoke

    status_entry_revoke(assertion=assertion)
    public_cache.invalidate_on_commit(assertion.entity_id)
    public_cache.invalidate_revocations_on_commit(assertion.organization_id)
    return assertion, True


@dataclass(frozen=True)
class RevokeOutcome:
    entity_id: str
    revoked: bool
    reason: str = ""
    code: str = ""


def assertions_revoke_many(*, items, actor=None) -> list[RevokeOutcome]:
    """Revoke several badges, each `(entity_id, reason)` with its own reason (required),
    in its own transaction and with its own outcome."""
    ids = {entity_id for entity_id, _ in items}
    found = {
        a.entity_id: a
        for a in Assertion.objects.select_related("organization").filter(entity_id__in=ids)
    }
    outcomes = []
    for entity_id, reason in items:
        reason = (reason or "").strip()
        assertion = found.get(entity_id)
        if not reason:
            outcomes.append(
                RevokeOutcome(
                    entity_id, False, "A revocation reason is required.", "reason_required"
                )
            )
            continue
        if assertion is None:
            outcomes.append(RevokeOutcome(entity_id, False, "Badge not found.", "not_found"))
            continue
        try:
            _, changed = assertion_revoke(assertion=assertion, actor=actor, reason=reason)
        except ApplicationError as exc:
            # Not the caller's badge: answer as for a missing one, revealing nothing.
            if exc.status_code == 403:
                outcomes.append(RevokeOutcome(entity_id, False, "Badge not found.", "not_found"))
            else:
                outcomes.append(RevokeOutcome(entity_id, False, exc.message, exc.code))
            continue
        if changed:
            outcomes.append(RevokeOutcome(entity_id, True))
        else:
            outcomes.append(RevokeOutcome(entity_id, False, "Already revoked.", "already_revoked"))
    return outcomes


@transaction.atomic
def assertions_expire_due(*, now: datetime | None = None) -> int:
    """Mark valid badges whose expiry has passed as invalid, with an event each."""
    now = now or timezone.now()
    due = dict(
        Assertion.objects.select_for_update(skip_locked=True)
        .filter(status=AssertionStatus.VALID, expires_at__lte=now)
        .values_list("pk", "entity_id")
    )
    if not due:
        return 0
    Assertion.objects.filter(pk__in=due).update(status=AssertionStatus.INVALID, updated_at=now)
    AssertionEvent.objects.bulk_create(
        AssertionEvent(assertion_id=pk, kind=EventKind.EXPIRED, payload={}) for pk in due
    )
    public_cache.invalidate_on_commit(*due.values())
    return len(due)


@transaction.atomic
def assertion_resend_email(*, email, actor=None):
    """Send a badge's email again (the badge or account-creation email it was sent).

    A copy is queued as a new outbox row, since a row is sent at most once. Resending
    costs no credit: the assignment was already paid for. Revoked badges get nothing.
    """
    from core.services import email_resend

    assertion = email.assertion
    require_role(actor, assertion.organization, ASSIGN)
    if assertion.status == AssertionStatus.REVOKED:
        raise ConflictError("The badge is revoked; its email is not sent again.", code="revoked")
    copy = email_resend(email=email)
    _event(assertion, EventKind.EMAIL_QUEUED, actor, email_id=copy.pk, resend_of=email.pk)
    return copy


@transaction.atomic
def assertion_set_private(*, assertion: Assertion, actor, private: bool) -> Assertion:
    """Hide a badge from everyone but its earner, or show it again. Only the earner
    (the user the badge was awarded to) decides; a hidden badge's public page, JSON
    document and baked image answer 404 to others."""
    assertion = (
        Assertion.objects.select_for_update(of=("self",))
        .select_related("earner")
        .get(pk=assertion.pk)
    )
    if actor is None or not actor.is_authenticated or assertion.earner.user_id != actor.pk:
        raise PermissionDeniedError("Only the badge's earner can change who sees it.")
    private = bool(private)
    if assertion.is_private == private:
        return assertion
    assertion.is_private = private
    assertion.save(update_fields=["is_private", "updated_at"])
    _event(assertion, EventKind.UPDATED, actor, changes={"is_private": [not private, private]})
    public_cache.invalidate_on_commit(assertion.entity_id)
    return assertion


def imported_badge_add(*, user, url: str = "", image=None):
    """Verify a badge from another platform (its hosted URL, or a baked image) and add it
    to `user`'s backpack. Raises ImportRefused saying which check failed."""
    from dataclasses import asdict

    from assertions import ob2_verify
    from assertions.models import ImportedBadge

    if image is not None:
        url = ob2_verify.source_from_image(image)
    if not (url or "").strip():
        raise ApplicationError(
            "Give the badge's URL or upload its baked image.",
            field_errors={"source": ["Give a URL or an image."]},
        )
    verified = ob2_verify.verify_hosted_badge(url, [user.email])
    if ImportedBadge.objects.filter(user=user, source_url=verified.source_url).exists():
        raise ConflictError(
            "This badge is already in your backpack.",
            field_errors={"source": ["Already imported."]},
            code="already_imported",
        )
    try:
        with transaction.atomic():
            return ImportedBadge.objects.create(
                user=user, verified_at=timezone.now(), **asdict(verified)
            )
    except IntegrityError:  # the same badge imported twice at once
        raise ConflictError("This badge is already in your backpack.") from None


@transaction.atomic
def imported_badge_remove(*, imported, actor) -> None:
    if actor is None or imported.user_id != actor.pk:
        raise PermissionDeniedError("Only its owner can remove an imported badge.")
    imported.delete()
