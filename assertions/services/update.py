"""Correcting an awarded badge in place (no reissue), and its earner hiding it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions import public_cache
from assertions.models import Acceptance, Assertion, AssertionStatus, EventKind
from assertions.services.award import status_for
from assertions.services.events import event_record
from assertions.services.rows import dates_check, details_clean, evidence_clean
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from issuers.permissions import ASSIGN, require_role

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


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def assertion_update(*, assertion: Assertion, actor=None, **changes) -> Assertion:
    """Correct an awarded badge in place (no reissue): names, narrative, dates, notes..."""
    require_role(actor, assertion.organization, ASSIGN)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These badge fields cannot be changed: %(names)s.")
            % {"names": ", ".join(sorted(unknown))},
            field_errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)},
        )
    assertion = Assertion.objects.select_for_update().get(pk=assertion.pk)
    if assertion.status == AssertionStatus.REVOKED:
        raise ConflictError(_("A revoked badge cannot be changed."), code="revoked")
    if "evidence" in changes:
        changes["evidence"] = evidence_clean(changes["evidence"])
    if "additional_details" in changes:
        details_clean(changes["additional_details"])
    if changes.get("emitted_at", assertion.emitted_at) is None:
        raise ApplicationError(
            _("A badge needs an issue date."), field_errors={"emitted_at": [_("Required.")]}
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
    dates_check(
        emitted_at=assertion.emitted_at,
        expires_at=assertion.expires_at,
        started=assertion.activity_started_at,
        ended=assertion.activity_ended_at,
        imported=assertion.imported,
    )
    assertion.status = status_for(assertion.expires_at, timezone.now())
    assertion.save()
    event_record(assertion, EventKind.UPDATED, actor, changes=diff)
    public_cache.invalidate_on_commit(assertion.entity_id)
    return assertion


def assertion_set_private(*, assertion: Assertion, actor, private: bool) -> Assertion:
    """Hide a badge from everyone but its earner, or show it again. Only the earner
    (the user the badge was awarded to) decides; a hidden badge's public page, JSON
    document and baked image answer 404 to others."""
    return _earner_sets(
        assertion=assertion,
        actor=actor,
        field="is_private",
        value=bool(private),
        kind=EventKind.UPDATED,
        refusal=_("Only the badge's earner can change who sees it."),
    )


@transaction.atomic
def _earner_sets(*, assertion: Assertion, actor, field: str, value, kind, refusal: str):
    """Set one of the earner's own choices on their badge, with its event; anyone else
    is refused with `refusal`."""
    assertion = (
        Assertion.objects.select_for_update(of=("self",))
        .select_related("earner")
        .get(pk=assertion.pk)
    )
    if actor is None or not actor.is_authenticated or assertion.earner.user_id != actor.pk:
        raise PermissionDeniedError(refusal)
    before = getattr(assertion, field)
    if before == value:
        return assertion
    setattr(assertion, field, value)
    assertion.save(update_fields=[field, "updated_at"])
    event_record(assertion, kind, actor, changes={field: [before, value]})
    public_cache.invalidate_on_commit(assertion.entity_id)
    return assertion


def assertion_set_name_public(*, assertion: Assertion, actor, public: bool) -> Assertion:
    """Publish the earner's name in the badge's Open Badges document (Badgr's
    `extensions:recipientProfile`, which badges imported from Badgr carry) or stop
    publishing it. Only the earner decides."""
    return _earner_sets(
        assertion=assertion,
        actor=actor,
        field="recipient_name_hidden",
        value=not public,
        kind=EventKind.UPDATED,
        refusal=_("Only the badge's earner can choose whether it shows their name."),
    )


def assertion_set_acceptance(*, assertion: Assertion, actor, acceptance: str) -> Assertion:
    """The earner accepts or rejects a badge awarded to them (Badgr's `acceptance`).
    A rejected badge is hidden from its public page, documents and image and from the
    earner's backpack, until they accept it after all."""
    if acceptance not in (Acceptance.ACCEPTED, Acceptance.REJECTED):
        raise ApplicationError(
            _("A badge can be accepted or rejected."),
            field_errors={"acceptance": [_('Give "Accepted" or "Rejected".')]},
        )
    return _earner_sets(
        assertion=assertion,
        actor=actor,
        field="acceptance",
        value=acceptance,
        kind=EventKind.ACCEPTANCE,
        refusal=_("Only the badge's earner can accept or reject it."),
    )
