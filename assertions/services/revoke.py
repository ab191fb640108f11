"""Revoking badges, one or many, and marking expired ones: the one place a badge's
status becomes revoked (the imports revoke here too) or invalid."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions import public_cache
from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from assertions.services.emails import revoked_email
from assertions.services.events import event_record
from assertions.signals import assertion_revoked
from core.exceptions import ApplicationError
from core.services import emails_queue_many
from issuers.permissions import ASSIGN, require_role


@transaction.atomic
def assertion_revoke(
    *,
    assertion: Assertion,
    actor=None,
    reason: str = "",
    notify: bool = True,
    date_unknown: bool = False,
) -> tuple[Assertion, bool]:
    """Revoke a badge. Idempotent: revoking a revoked badge changes nothing (False).

    With `notify` (the default) the earner is told by email, queued in this transaction;
    imports, which bring in badges revoked elsewhere, pass False.
    `date_unknown`: an imported badge that its source says was revoked without saying
    when (Badgr records no date) keeps no revocation date rather than an invented one.
    """
    require_role(actor, assertion.organization, ASSIGN)
    assertion = Assertion.objects.select_for_update().get(pk=assertion.pk)
    if assertion.status == AssertionStatus.REVOKED:
        return assertion, False
    if date_unknown and not assertion.imported:
        raise ApplicationError(_("Only an imported badge may be revoked on an unknown date."))
    assertion.status = AssertionStatus.REVOKED
    assertion.revoked_at = None if date_unknown else timezone.now()
    assertion.revoked_reason = (reason or "").strip()
    assertion.save(update_fields=["status", "revoked_at", "revoked_reason", "updated_at"])
    event_record(assertion, EventKind.REVOKED, actor, reason=assertion.revoked_reason)
    if notify and assertion.recipient_email:
        email = revoked_email(assertion)
        emails_queue_many([email])
        event_record(
            assertion, EventKind.EMAIL_QUEUED, actor, email_id=email.pk, email_kind=email.kind
        )
    # Its bit in the issuer's Bitstring Status List (credentials), in this transaction.
    assertion_revoked.send(sender=Assertion, assertion=assertion)
    public_cache.invalidate_on_commit(assertion.entity_id)
    public_cache.invalidate_revocations_on_commit(assertion.organization_id)
    return assertion, True


@dataclass(frozen=True)
class RevokeOutcome:
    entity_id: str
    revoked: bool
    reason: str = ""
    code: str = ""


def assertions_revoke_many(*, items, actor=None, notify: bool = True) -> list[RevokeOutcome]:
    """Revoke several badges, each `(entity_id, reason)` with its own reason (required),
    in its own transaction and with its own outcome; `notify` as `assertion_revoke`."""
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
            _, changed = assertion_revoke(
                assertion=assertion, actor=actor, reason=reason, notify=notify
            )
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
