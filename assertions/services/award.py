"""The one write path of an award.

`assertions_award` awards a badge template to a list of rows (one row is a list of one)
and is the only code that makes badges, earners' accounts, award ledger entries, their
events and award emails: the single award (`assertion_issue`, /v2), assignments of any
size (`assertions.services.assign`, the wizard and /api/v1), the queued batches' chunks
(`assertions.services.batches`) and every import (`assertions.services.imports`) call it.
It runs in its caller's transaction with a fixed number of statements whatever the
number of rows (`assertions/tests/test_bulk_queries.py`):

1. rows whose `idempotency_key` an earlier award of the issuer used are answered with
   that badge (when it is the same award: same earner and template) and not awarded
   again; a key used for another award is refused (422). A queued batch's chunk gives
   keys no award can have used (`fresh_keys`: `batch:<batch>:<row>`, and a chunk is
   awarded once, under its lock): they are stored without being looked up (the
   constraint on them still refuses a second badge with one);
2. the earners are found or made, with their accounts, and locked
   (`assertions.services.accounts`), and, unless duplicates are allowed, those who
   already hold the badge are refused, row by row;
3. the badges, their events and (with `notify`) their emails are inserted, one
   statement each; the emails go to the broker 100 per task once the transaction commits;
4. with `reserve`, the credits of the badges awarded are taken in one ledger entry
   (402 when they are not there, which undoes the caller's transaction). Last, because
   taking them locks the issuer's row until the transaction commits: every award of the
   issuer waits for that lock, so it is held only for the award's last four statements
   and its commit (taken first, it was held across a dozen, and a worker descheduled
   meanwhile stalled every other award of the issuer).

A row that breaks a rule is an error of the outcome, named by its number; the caller
decides whether that undoes everything (single awards, small assignments, imports) or
only that row (queued batches, whose credits `assertions.services.batches` reserves for
the whole batch up front and refunds for what was not delivered).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.openbadges import recipient_hash
from assertions.selectors import assertions_keyed, holders
from assertions.services.accounts import earners_for_rows
from assertions.services.credits import award_credits_reserve
from assertions.services.emails import award_emails_queue
from assertions.services.events import event, events_save
from assertions.services.rows import (
    TEMPLATE_DEFAULT,
    RowError,
    details_clean,
    earner_row_check,
    evidence_clean,
    expiry_resolve,
    issued_on_check,
)
from core.exceptions import ApplicationError, ConflictError, IdempotencyKeyReusedError
from core.freshness import read_in_this_request
from core.inserts import insert_many, instances
from core.queries import values_by_pk
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate

# What a row may give for its own badge, over the defaults of its award.
ROW_FIELDS = (
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "expires_at",
    "notes",
    "narrative",
    "evidence",
    "emitted_at",
    "additional_details",
    "imp_legacy_id",
)


@dataclass(frozen=True)
class AwardOutcome:
    assertions: list[Assertion]  # awarded now, in the order of the rows
    earlier: list[Assertion]  # awarded before under the rows' idempotency keys
    errors: list[RowError]
    reserved: int = 0  # credits taken for the badges awarded now

    @property
    def issued(self) -> int:
        return len(self.assertions) + len(self.earlier)


@dataclass(frozen=True)
class IssueResult:
    assertion: Assertion
    created: bool  # False: an earlier award with the same idempotency key was returned


def status_for(expires_at, now) -> str:
    return (
        AssertionStatus.INVALID
        if expires_at is not None and expires_at <= now
        else AssertionStatus.VALID
    )


# What decides an award; when the caller's copy of the template still has these, with
# its issuer and version loaded, a narrow read is all it costs to know it is current.
AWARD_FIELDS = ("current_version_id", "archived", "validity_amount", "validity_unit", "name")


def template_fresh(template: BadgeTemplate) -> BadgeTemplate:
    """The template as it is now, with its issuer and current version: the caller's copy
    may be stale, and the version current now is the one awarded. A copy the request
    being served read (`core.freshness`: the API's `template_for_user`) is as fresh as
    a read now and is not read again."""
    loaded = all(
        BadgeTemplate._meta.get_field(name).is_cached(template)
        for name in ("issuer", "current_version")
    )
    if loaded and read_in_this_request(template):
        return template
    now = values_by_pk(BadgeTemplate, template.pk, AWARD_FIELDS)
    if loaded and now == tuple(getattr(template, name) for name in AWARD_FIELDS):
        return template
    return BadgeTemplate.objects.select_related("issuer", "current_version").get(pk=template.pk)


def template_awardable(template: BadgeTemplate) -> BadgeTemplate:
    """`template_fresh`, refused when archived (imports may still bring badges in)."""
    template = template_fresh(template)
    if template.archived:
        raise ApplicationError(
            _('The badge template "%(template)s" is archived and cannot be awarded.')
            % {"template": template.name},
            field_errors={"badge_template": [_("This badge template is archived.")]},
            code="template_archived",
        )
    return template


def _earlier(issuer, template, items) -> tuple[dict[int, Assertion], list[RowError]]:
    """{row number: the badge an earlier award made with the row's key}, and the rows
    whose key an award of another earner or template used."""
    keys = {row["idempotency_key"]: number for number, row in items if row.get("idempotency_key")}
    if not keys:
        return {}, []
    found = assertions_keyed(issuer, "idempotency_key", list(keys)).select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )
    rows = dict(items)
    earlier, errors = {}, []
    for badge in found:
        number = keys[badge.idempotency_key]
        if (
            badge.recipient_email == rows[number]["email"]
            and badge.badge_template_id == template.pk
        ):
            earlier[number] = badge
        else:
            errors.append(
                RowError(
                    number,
                    IdempotencyKeyReusedError(
                        _("This Idempotency-Key was already used for another award."),
                        field_errors={"idempotency_key": [_("Use a new key for a new award.")]},
                    ),
                )
            )
    return earlier, errors


def _duplicate(email: str, template) -> ConflictError:
    return ConflictError(
        _('%(email)s already holds the badge "%(badge)s".')
        % {"email": email, "badge": template.name},
        field_errors={"email": [_("This earner already holds this badge.")]},
        code="duplicate_award",
    )


def assertions_award(
    *,
    template: BadgeTemplate,
    items: list[tuple[int, dict]],
    version=None,
    actor=None,
    notify: bool,
    allow_duplicate: bool,
    batch=None,
    imported: bool = False,
    defaults: dict | None = None,
    reserve: bool = False,
    note: str = "",
    fresh_keys: bool = False,
) -> AwardOutcome:
    """Award `template` (fresh, see `template_fresh`) to each (number, row) of `items`.

    A row is {email, first_name, last_name, metadata} (clean, see
    `assertions.services.rows`) and may give any of ROW_FIELDS and an
    `idempotency_key`; `defaults` gives the others (expires_at may be TEMPLATE_DEFAULT).
    The badges are of `version`, the template's current one unless given. See the
    module docstring for what happens, in the caller's transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("assertions_award runs inside its caller's transaction")
    issuer, version = template.issuer, version or template.current_version
    defaults = defaults or {}
    earlier, errors = ({}, []) if fresh_keys else _earlier(issuer, template, items)
    refused = {error.row for error in errors}
    todo = [(n, row) for n, row in items if n not in earlier and n not in refused]
    assertions: list[Assertion] = []
    if todo:
        rows = []
        now = timezone.now()
        earners = earners_for_rows(issuer=issuer, rows=[row for _number, row in todo])
        # Asked with the earners locked: no concurrent award to them can commit meanwhile.
        held = set() if allow_duplicate else holders(template=template, emails=list(earners))
        for number, row in todo:
            earner = earners[row["email"]]
            if earner.email in held:
                errors.append(RowError(number, _duplicate(earner.email, template)))
                continue
            values = {**defaults, **{k: row[k] for k in ROW_FIELDS if k in row}}
            emitted_at = values.get("emitted_at") or now
            try:
                expires_at = expiry_resolve(
                    template,
                    emitted_at=emitted_at,
                    expires_at=values.get("expires_at"),
                    started=values.get("activity_started_at"),
                    ended=values.get("activity_ended_at"),
                    imported=imported,
                )
            except ApplicationError as exc:
                errors.append(RowError(number, exc))
                continue
            salt = secrets.token_hex(16)
            rows.append(
                dict(
                    imported=imported,
                    status=status_for(expires_at, now),
                    badge_template_version=version,
                    badge_template=template,
                    organization=issuer,
                    earner=earner,
                    activity_title=(values.get("activity_title") or "").strip(),
                    activity_started_at=values.get("activity_started_at"),
                    activity_ended_at=values.get("activity_ended_at"),
                    recipient_email=earner.email,
                    recipient_first_name=row.get("first_name") or earner.first_name,
                    recipient_last_name=row.get("last_name") or earner.last_name,
                    notes=values.get("notes") or "",
                    additional_details=values.get("additional_details") or {},
                    emitted_at=emitted_at,
                    expires_at=expires_at,
                    recipient_salt=salt,
                    recipient_hash=recipient_hash(earner.email, salt),
                    narrative=values.get("narrative") or "",
                    evidence=values.get("evidence") or [],
                    batch=batch,
                    created_by=actor,
                    idempotency_key=row.get("idempotency_key") or "",
                    imp_legacy_id=values.get("imp_legacy_id") or "",
                )
            )
            if not allow_duplicate:
                held.add(earner.email)
        assertions = insert_many(instances(Assertion, rows))
        payload = {"version": version.number, "notify": notify}
        if batch is not None:
            payload["batch"] = batch.entity_id
        kind = EventKind.IMPORTED if imported else EventKind.ISSUED
        events = [event(a, kind, actor, **payload) for a in assertions]
        if notify:
            message = batch.email_message if batch is not None else ""
            events += award_emails_queue(assertions, message=message)
        events_save(events)
    reserved = 0
    if reserve and notify:
        reserved = award_credits_reserve(
            issuer=issuer, amount=len(assertions), actor=actor, batch=batch, note=note
        )
    errors.sort(key=lambda error: error.row)
    return AwardOutcome(assertions, [earlier[n] for n in sorted(earlier)], errors, reserved)


# --- one badge ------------------------------------------------------------------------

# assertion_issue speaks /v2's names for the fields its errors name.
V2_FIELDS = {"email": "recipient", "badge_template": "badgeclass"}


def _in_v2_names(exc: ApplicationError) -> ApplicationError:
    exc.field_errors = {V2_FIELDS.get(k, k): v for k, v in exc.field_errors.items()}
    return exc


def _issue_row(
    *,
    now: datetime,
    recipient_email: str,
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
    idempotency_key: str | None = None,
    recipient_language: str = "",
) -> dict:
    """One award's row for `assertions_award`, checked; ApplicationError naming what is wrong."""
    issued_on = issued_on or now
    issued_on_check(issued_on, now, field="issuedOn")
    return {
        **earner_row_check(
            {
                "email": recipient_email,
                "first_name": recipient_first_name,
                "last_name": recipient_last_name,
                "language": recipient_language,
                "metadata": metadata,
            }
        ),
        "emitted_at": issued_on,
        "expires_at": expires_at,
        "activity_title": activity_title,
        "activity_started_at": activity_started_at,
        "activity_ended_at": activity_ended_at,
        "notes": notes,
        "narrative": narrative,
        "evidence": evidence_clean(evidence),
        "additional_details": details_clean(additional_details),
        "idempotency_key": str(idempotency_key or "").strip()[:255],
    }


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
    recipient_language: str = "",
) -> IssueResult:
    """Award `template` to one earner: `assertions_award` with a list of one.

    The earner is found or created (and, without an account, gets one with no usable
    password). With `notify`, one credit is charged and an email is queued: the
    badge-assignment email, or the account-creation email with a set-password link.
    Everything (badge, events, credit, outbox row) commits together or not at all. The
    same `idempotency_key` (per issuer) returns the first award, also concurrently.
    """
    issuer = template.issuer
    require_role(actor, issuer, ASSIGN)
    row = _issue_row(
        now=timezone.now(),
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
        idempotency_key=idempotency_key,
        recipient_language=recipient_language,
    )

    @transaction.atomic
    def award() -> AwardOutcome:
        try:
            fresh = template_awardable(template)
        except ApplicationError as exc:
            raise _in_v2_names(exc) from None
        outcome = assertions_award(
            template=fresh,
            items=[(1, row)],
            actor=actor,
            notify=notify,
            allow_duplicate=allow_duplicate,
            reserve=True,
            note="Badge assignment email",
        )
        if outcome.errors:
            raise _in_v2_names(outcome.errors[0].error)
        return outcome

    try:
        outcome = award()
    except IntegrityError:
        if not row["idempotency_key"]:
            raise
        # A concurrent award with the same key committed between this one's lookup and
        # its insert (which waited for it): everything here was rolled back; this time
        # the lookup finds that badge.
        outcome = award()
    if outcome.earlier:
        return IssueResult(outcome.earlier[0], created=False)
    return IssueResult(outcome.assertions[0], created=True)


# --- several badges of one template, in one request ----------------------------------------

MAX_ISSUE = 100  # awards per request: done in the request, like a small assignment


def _problems(exc: ApplicationError) -> dict:
    exc = _in_v2_names(exc)
    return exc.field_errors or {"non_field_errors": [exc.message]}


def _batch_refused(problems: list[dict], first: ApplicationError | None = None):
    refused = sum(1 for problem in problems if problem)
    error = ApplicationError(
        _("%(refused)d of the %(total)d badges cannot be issued; none was issued.")
        % {"refused": refused, "total": len(problems)},
        field_errors={"assertions": problems},
        code=first.code if first else None,
    )
    if first is not None:  # a duplicate is 409, a reused Idempotency-Key 422
        error.status_code = first.status_code
    return error


def assertions_issue(
    *,
    template: BadgeTemplate,
    awards: list[dict],
    actor=None,
    notify: bool = True,
    allow_duplicate: bool = True,
    idempotency_key: str | None = None,
) -> list[IssueResult]:
    """Award `template` to several earners at once (Badgr's batch issue): each award a
    dict of `assertion_issue`'s recipient and badge arguments, all awarded by one
    `assertions_award` (one credit reservation, the emails with the badges), or none.

    Any award refused refuses them all: the ApplicationError's `field_errors` is
    `{"assertions": [problems of the first award, {} for one that was fine, ...]}`.
    With `idempotency_key`, each award keeps `<key>#<index>`, so the same request again
    answers the same badges (`created=False`)."""
    require_role(actor, template.issuer, ASSIGN)
    if not awards:
        raise ApplicationError(
            _("Give at least one badge to issue."),
            field_errors={"assertions": [_("This list may not be empty.")]},
        )
    if len(awards) > MAX_ISSUE:
        raise ApplicationError(
            _("At most %(max)d badges can be issued in one request.") % {"max": MAX_ISSUE},
            field_errors={"assertions": [_("Too many items.")]},
        )
    now = timezone.now()
    key = str(idempotency_key or "").strip()[:240]
    keys = [f"{key}#{index}" if key else None for index in range(len(awards))]
    items, problems = [], [{} for _award in awards]
    for index, award in enumerate(awards):
        try:
            row = _issue_row(now=now, idempotency_key=keys[index], **award)
        except ApplicationError as exc:
            problems[index] = _problems(exc)
        else:
            items.append((index + 1, row))
    if any(problems):
        raise _batch_refused(problems)

    @transaction.atomic
    def award() -> AwardOutcome:
        try:
            fresh = template_awardable(template)
        except ApplicationError as exc:
            raise _in_v2_names(exc) from None
        outcome = assertions_award(
            template=fresh,
            items=items,
            actor=actor,
            notify=notify,
            allow_duplicate=allow_duplicate,
            reserve=True,
            note=_("Badge assignment email"),
        )
        if outcome.errors:
            for error in outcome.errors:
                problems[error.row - 1] = _problems(error.error)
            raise _batch_refused(problems, outcome.errors[0].error)
        return outcome

    try:
        outcome = award()
    except IntegrityError:
        if not key:
            raise
        outcome = award()  # a concurrent repeat committed first: now its badges are found
    if not key:
        return [IssueResult(badge, created=True) for badge in outcome.assertions]
    index_of = {k: index for index, k in enumerate(keys)}
    results = [IssueResult(b, created=True) for b in outcome.assertions]
    results += [IssueResult(b, created=False) for b in outcome.earlier]
    return sorted(results, key=lambda result: index_of[result.assertion.idempotency_key])
