"""Assigning a badge template to many earners at once, and importing badges.

The rules of one award live in assertions.services; this module applies them to many
rows with bulk statements:

- `batch_assign` is the one entry point of an assignment (the Open Badge API's
  assignment flow). Up to SYNC_LIMIT earners it awards them now, one `assertion_issue`
  each inside one transaction (all or nothing). Above that it records an
  AssignmentBatch with `batch_create` and a worker runs it with `batch_run`.
- `batch_create` validates every row, reserves ALL the credits the batch may use in one
  ledger entry (InsufficientCreditsError, 402, and nothing recorded when they are not
  there) and stores the rows beside the batch in the default storage
  (`assignment-batches/<batch id>.jsonl`: the model has no place for them).
- `batch_run` issues the rows in chunks, one transaction per chunk: earners are
  upserted, missing accounts created (unusable passwords, set from the email), and the
  badges, their events and their outbox rows bulk-inserted. The batch's counts move in
  the same transaction, so `issued + failed` is where a crashed run resumes; a row is
  never issued twice (the batch row is locked per chunk and every badge carries the
  idempotency key `batch:<batch id>:<row>`). At the end the credits not used are
  refunded and the batch is done (or failed when nothing could be issued).
- `assertions_import` brings in badges issued elsewhere (`imported`, `imp_legacy_id`):
  all or nothing, no email unless asked.

Rows are numbered from 1 in the order given.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from assertions.models import (
    Assertion,
    AssertionEvent,
    AssertionStatus,
    AssignmentBatch,
    BatchStatus,
    EventKind,
)
from assertions.selectors import assertions_keyed
from assertions.services import (
    ISSUED_ON_TOLERANCE,
    TEMPLATE_DEFAULT,
    assertion_issue,
    award_email,
    check_dates,
    default_expiry,
    recipient_hash,
    status_for,
)
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.inserts import insert_many
from core.iterables import chunks
from core.models import OutboundEmail
from core.services import enqueue_send_many
from earners.models import Earner
from earners.services import clean_email
from issuers.exceptions import InsufficientCreditsError
from issuers.models import Issuer
from issuers.permissions import ASSIGN, require_role
from issuers.services import credits_refund, credits_reserve
from templates_app.models import BadgeTemplate

log = logging.getLogger(__name__)

SYNC_LIMIT = 100  # up to this many earners are awarded in the request itself
MAX_EARNERS = 10_000  # per assignment
MAX_IMPORT = 1_000  # badges per import call
CHUNK = 500  # rows per transaction of a running batch
MAX_STORED_ERRORS = 1_000  # per-row errors kept on a batch (the count stays exact)
ROWS_DIR = "assignment-batches"


@dataclass(frozen=True)
class AssignResult:
    batch: AssignmentBatch
    # The badges awarded, or None when the batch was queued for a worker.
    assertions: list[Assertion] | None

    @property
    def queued(self) -> bool:
        return self.assertions is None


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class IssueOutcome:
    assertions: list[Assertion]  # issued now
    already: int  # rows an earlier run of the same batch had issued
    errors: list[RowError]

    @property
    def issued(self) -> int:
        return len(self.assertions) + self.already


# --- rows -----------------------------------------------------------------------------


def _clean_row(row) -> tuple[dict, dict]:
    """(clean row, field errors) of one earner row {email, first_name, last_name, metadata}."""
    if not isinstance(row, dict):
        return {}, {"non_field_errors": ["Give an object with email, first_name, last_name."]}
    errors = {}
    try:
        email = clean_email(row.get("email"))
    except ApplicationError as exc:
        email = ""
        errors.update(exc.field_errors)
    metadata = row.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        errors["metadata"] = ["Give an object."]
    names = {}
    for field in ("first_name", "last_name"):
        value = row.get(field) or ""
        if not isinstance(value, str):
            errors[field] = ["Give text."]
            value = ""
        elif len(value.strip()) > 150:
            errors[field] = ["Ensure this field has no more than 150 characters."]
        names[field] = value.strip()
    return {"email": email, **names, "metadata": metadata}, errors


def clean_rows(rows, *, limit: int = MAX_EARNERS, field: str = "earners") -> list[dict]:
    """Every row checked; ApplicationError naming each bad row (by its index in `rows`,
    as in the request body) when any is wrong."""
    if not isinstance(rows, list | tuple) or not rows:
        raise ApplicationError(
            "Give at least one earner.", field_errors={field: ["Give at least one earner."]}
        )
    if len(rows) > limit:
        raise ApplicationError(
            f"At most {limit} earners per request; this has {len(rows)}.",
            field_errors={field: [f"At most {limit} per request."]},
        )
    cleaned, problems = [], {}
    for index, row in enumerate(rows):
        clean, errors = _clean_row(row)
        if errors:
            problems[str(index)] = errors
        cleaned.append(clean)
    if problems:
        raise ApplicationError(
            f"{len(problems)} of the earners are not valid.", field_errors={field: problems}
        )
    return cleaned


def _not_enough_credits(issuer: Issuer, needed: int, balance: int) -> InsufficientCreditsError:
    return InsufficientCreditsError(
        f"Not enough credits: this needs {needed} and {issuer.name} has {balance}. "
        "Ask an owner of the issuer to top up.",
        field_errors={"credits": [f"Needed: {needed}. Available: {balance}."]},
    )


def _awardable(template: BadgeTemplate) -> BadgeTemplate:
    template = BadgeTemplate.objects.select_related("issuer", "current_version").get(pk=template.pk)
    if template.archived:
        raise ApplicationError(
            f'The badge template "{template.name}" is archived and cannot be awarded.',
            field_errors={"badge_template": ["This badge template is archived."]},
            code="template_archived",
        )
    return template


# --- one assignment -------------------------------------------------------------------


def batch_assign(
    *,
    template: BadgeTemplate,
    rows,
    actor=None,
    activity_title: str = "",
    activity_started_at: datetime | None = None,
    activity_ended_at: datetime | None = None,
    expires_at=TEMPLATE_DEFAULT,
    notes: str = "",
    narrative: str = "",
    notify: bool = True,
    allow_duplicate: bool = True,
) -> AssignResult:
    """Assign `template` to the earners of `rows` with one assignment context.

    Each earner with `notify` costs one credit (the email). Up to SYNC_LIMIT earners are
    awarded now, all or nothing; more are queued as a batch (see the module docstring).
    """
    require_role(actor, template.issuer, ASSIGN)
    template = _awardable(template)
    rows = clean_rows(rows)
    now = timezone.now()
    if expires_at is TEMPLATE_DEFAULT:
        resolved_expiry = default_expiry(template, now)
    else:
        resolved_expiry = expires_at
    check_dates(
        emitted_at=now,
        expires_at=resolved_expiry,
        started=activity_started_at,
        ended=activity_ended_at,
    )
    context = {
        "activity_title": (activity_title or "").strip(),
        "activity_started_at": activity_started_at,
        "activity_ended_at": activity_ended_at,
        "notes": notes or "",
        "narrative": narrative or "",
        "notify": notify,
    }
    if len(rows) <= SYNC_LIMIT:
        return _assign_now(
            template=template,
            rows=rows,
            actor=actor,
            expires_at=resolved_expiry,
            allow_duplicate=allow_duplicate,
            context=context,
        )
    batch = batch_create(
        template=template,
        rows=rows,
        actor=actor,
        expires_at=resolved_expiry,
        allow_duplicate=allow_duplicate,
        **context,
    )
    return AssignResult(batch, None)


def _row_failure(exc: ApplicationError, index: int, email: str) -> ApplicationError:
    """The error of one row, named by its position in the request."""
    # assertion_issue names the recipient as /v2 does; an earner row calls it email.
    detail = {
        ("email" if field == "recipient" else field): messages
        for field, messages in (exc.field_errors or {"non_field_errors": [exc.message]}).items()
    }
    return type(exc)(
        f"Row {index + 1} ({email}): {exc.message} Nothing was assigned.",
        code=exc.code,
        field_errors={"earners": {str(index): detail}},
    )


@transaction.atomic
def _assign_now(*, template, rows, actor, expires_at, allow_duplicate, context) -> AssignResult:
    """Award every row now with assertion_issue (one expiry for all), all or nothing."""
    issuer = template.issuer
    needed = len(rows) if context["notify"] else 0
    if needed:
        # Locked until the end: the balance read here is the one the awards draw from,
        # so a shortfall is reported with its real numbers before anything is issued.
        balance = (
            Issuer.objects.select_for_update()
            .values_list("credit_balance", flat=True)
            .get(pk=issuer.pk)
        )
        if balance < needed:
            raise _not_enough_credits(issuer, needed, balance)
    now = timezone.now()
    batch = AssignmentBatch.objects.create(
        issuer=issuer,
        badge_template_version=template.current_version,
        expires_at=expires_at,
        status=BatchStatus.RUNNING,
        total=len(rows),
        credits_reserved=needed,
        started_at=now,
        created_by=actor,
        **context,
    )
    assertions = []
    for index, row in enumerate(rows):
        try:
            result = assertion_issue(
                template=template,
                recipient_email=row["email"],
                recipient_first_name=row["first_name"],
                recipient_last_name=row["last_name"],
                metadata=row["metadata"] or None,
                actor=actor,
                expires_at=expires_at,
                activity_title=context["activity_title"],
                activity_started_at=context["activity_started_at"],
                activity_ended_at=context["activity_ended_at"],
                notes=context["notes"],
                narrative=context["narrative"],
                allow_duplicate=allow_duplicate,
                notify=context["notify"],
                batch=batch,
            )
        except ApplicationError as exc:
            raise _row_failure(exc, index, row["email"]) from exc
        assertions.append(result.assertion)
    batch.issued = len(assertions)
    batch.credits_used = needed
    batch.status = BatchStatus.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["issued", "credits_used", "status", "finished_at", "updated_at"])
    return AssignResult(batch, assertions)


# --- queued batches -------------------------------------------------------------------


def rows_file_name(batch: AssignmentBatch) -> str:
    return f"{ROWS_DIR}/{batch.entity_id}.jsonl"


@transaction.atomic
def batch_create(
    *,
    template: BadgeTemplate,
    rows,
    actor=None,
    activity_title: str = "",
    activity_started_at: datetime | None = None,
    activity_ended_at: datetime | None = None,
    expires_at: datetime | None = None,
    notes: str = "",
    narrative: str = "",
    notify: bool = True,
    allow_duplicate: bool = True,
) -> AssignmentBatch:
    """Record a batch to be run by a worker: rows checked, credits reserved, rows stored,
    the run enqueued once this commits. `expires_at` is the badges' expiry (None: never).
    """
    from assertions.tasks import run_assignment_batch

    require_role(actor, template.issuer, ASSIGN)
    template = _awardable(template)
    issuer = template.issuer
    rows = clean_rows(rows)
    check_dates(
        emitted_at=timezone.now(),
        expires_at=expires_at,
        started=activity_started_at,
        ended=activity_ended_at,
    )
    batch = AssignmentBatch.objects.create(
        issuer=issuer,
        badge_template_version=template.current_version,
        activity_title=(activity_title or "").strip(),
        activity_started_at=activity_started_at,
        activity_ended_at=activity_ended_at,
        expires_at=expires_at,
        notes=notes or "",
        narrative=narrative or "",
        notify=notify,
        status=BatchStatus.PENDING,
        total=len(rows),
        created_by=actor,
    )
    if notify:
        try:
            credits_reserve(
                issuer=issuer,
                amount=len(rows),
                actor=actor,
                batch=batch,
                note=f"Assignment batch {batch.entity_id}",
            )
        except InsufficientCreditsError:
            balance = Issuer.objects.values_list("credit_balance", flat=True).get(pk=issuer.pk)
            raise _not_enough_credits(issuer, len(rows), balance) from None
        batch.credits_reserved = len(rows)
        batch.save(update_fields=["credits_reserved", "updated_at"])
    header = {"allow_duplicate": allow_duplicate}
    lines = [json.dumps(header)] + [json.dumps(row, ensure_ascii=False) for row in rows]
    name = rows_file_name(batch)
    stored = default_storage.save(name, ContentFile(("\n".join(lines) + "\n").encode("utf-8")))
    if stored != name:
        default_storage.delete(stored)
        raise ConflictError("The rows of this batch could not be stored; try again.")
    batch_id = batch.pk
    # robust: with the broker down the batch still stands (202); the sweep enqueues it.
    transaction.on_commit(lambda: run_assignment_batch.delay(batch_id), robust=True)
    return batch


def _read_rows(batch: AssignmentBatch):
    """(header, iterator of (row number, row)) from the stored rows file, streamed."""
    handle = default_storage.open(rows_file_name(batch), "rb")

    def rows():
        with handle:
            for number, line in enumerate(lines, start=1):
                yield number, json.loads(line)

    lines = (line for line in handle if line.strip())
    header = json.loads(next(lines))
    return header, rows()


def batch_run(*, batch_id: int) -> AssignmentBatch:
    """Run (or resume) a batch until every row is issued or failed. Safe to call again at
    any point, also concurrently: finished batches are left alone and rows done are
    skipped."""
    with transaction.atomic():
        batch = AssignmentBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFoundError("Assignment batch not found.")
        if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
            return batch
        if batch.status == BatchStatus.PENDING:
            batch.status = BatchStatus.RUNNING
            batch.started_at = timezone.now()
            batch.save(update_fields=["status", "started_at", "updated_at"])
    try:
        header, rows = _read_rows(batch)
    except (OSError, ValueError, StopIteration):
        log.exception("Rows of assignment batch %s cannot be read", batch.entity_id)
        return batch_fail(batch_id=batch_id, message="The rows of this batch cannot be read.")
    allow_duplicate = bool(header.get("allow_duplicate", True))
    # A setting so that tests can make many small chunks (and kill a worker between them).
    size = getattr(settings, "ASSIGN_BATCH_CHUNK", CHUNK)
    for chunk in chunks(rows, size):
        _run_chunk(batch_id, chunk, allow_duplicate=allow_duplicate)
    return _finish(batch_id)


@transaction.atomic
def _run_chunk(batch_id: int, chunk: list[tuple[int, dict]], *, allow_duplicate: bool) -> None:
    batch = (
        AssignmentBatch.objects.select_for_update(of=("self",))
        .select_related("issuer", "badge_template_version__template", "created_by")
        .get(pk=batch_id)
    )
    if batch.status != BatchStatus.RUNNING:
        return
    done = batch.issued + batch.failed
    todo = [(number, row) for number, row in chunk if number > done]
    if not todo:
        return
    version = batch.badge_template_version
    outcome = issue_rows(
        issuer=batch.issuer,
        template=version.template,
        version=version,
        items=[
            (
                number,
                {**row, "idempotency_key": f"batch:{batch.entity_id}:{number}"},
            )
            for number, row in todo
        ],
        actor=batch.created_by,
        notify=batch.notify,
        allow_duplicate=allow_duplicate,
        batch=batch,
        defaults={
            "activity_title": batch.activity_title,
            "activity_started_at": batch.activity_started_at,
            "activity_ended_at": batch.activity_ended_at,
            "expires_at": batch.expires_at,
            "notes": batch.notes,
            "narrative": batch.narrative,
        },
    )
    batch.issued += outcome.issued
    batch.failed += len(outcome.errors)
    room = MAX_STORED_ERRORS - len(batch.errors)
    if room > 0:
        batch.errors = [*batch.errors, *(e.as_dict() for e in outcome.errors[:room])]
    if batch.notify:
        batch.credits_used += outcome.issued
    batch.save(
        update_fields=["issued", "failed", "errors", "credits_used", "updated_at"],
    )


@transaction.atomic
def _finish(batch_id: int, *, message: str = "") -> AssignmentBatch:
    batch = AssignmentBatch.objects.select_for_update().select_related("issuer").get(pk=batch_id)
    if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return batch
    unused = batch.credits_reserved - batch.credits_used
    if unused > 0:
        credits_refund(
            issuer=batch.issuer,
            amount=unused,
            batch=batch,
            note=f"Unused credits of assignment batch {batch.entity_id}",
        )
    if message:
        batch.errors = [*batch.errors, {"row": None, "field": None, "message": message}]
    batch.status = BatchStatus.DONE if batch.issued and not message else BatchStatus.FAILED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "errors", "finished_at", "updated_at"])
    name = rows_file_name(batch)
    # The rows (personal data) are not needed once the batch is over.
    transaction.on_commit(lambda: default_storage.delete(name))
    return batch


def batch_fail(*, batch_id: int, message: str) -> AssignmentBatch:
    """Stop a batch that cannot go on: what was issued stays, the rest is refunded."""
    return _finish(batch_id, message=message)


# --- issuing many rows ----------------------------------------------------------------


def _merged_earner(earner: Earner, rows: list[dict]) -> bool:
    """Apply the names and metadata of `rows` (in order) as earner_get_or_create would."""
    changed = False
    for row in rows:
        for field in ("first_name", "last_name"):
            if row.get(field) and row[field] != getattr(earner, field):
                setattr(earner, field, row[field])
                changed = True
        metadata = row.get("metadata")
        if metadata:
            merged = {**earner.metadata, **metadata}
            if merged != earner.metadata:
                earner.metadata = merged
                changed = True
    return changed


def _accounts_for(people: dict[str, Earner]) -> dict[str, User]:
    """email -> user account, made without a usable password for those who have none
    (the award email lets them choose one). Bulk: no password is hashed."""
    users = {u.email: u for u in User.objects.filter(email__in=list(people))}
    missing = [email for email in people if email not in users]
    if missing:
        # An unusable password ("!" + random text) never matches anything, so one value
        # serves the whole chunk: making one per user costs 40 random draws each.
        unusable = make_password(None)
        made = insert_many(
            [
                User(
                    email=email,
                    password=unusable,
                    first_name=people[email].first_name,
                    last_name=people[email].last_name,
                )
                for email in missing
            ],
            ignore_conflicts=True,  # made by a concurrent award meanwhile: use that one
            key="email",
        )
        users.update((u.email, u) for u in made)
        if len(made) < len(missing):
            others = [email for email in missing if email not in users]
            users.update((u.email, u) for u in User.objects.filter(email__in=others))
    return users


def _earners_for(issuer: Issuer, items: list[tuple[int, dict]], now) -> dict[str, Earner]:
    """The issuer's earners for the rows' emails, created or updated in bulk and locked,
    each with its user account (as earner_get_or_create and assertion_issue would).

    New earners are inserted with their account already linked, so the common case
    needs no UPDATE; only earners whose names, metadata or account changed are updated.
    """
    by_email: dict[str, list[dict]] = {}
    for _, row in items:
        by_email.setdefault(row["email"], []).append(row)
    linked = dict(
        Earner.objects.filter(issuer=issuer, email__in=list(by_email)).values_list(
            "email", "user_id"
        )
    )
    fresh = {}
    for email, rows in by_email.items():
        earner = Earner(issuer=issuer, email=email, metadata={})
        _merged_earner(earner, rows)
        fresh[email] = earner
    users = _accounts_for({e: fresh[e] for e in by_email if linked.get(e) is None})
    for email, earner in fresh.items():
        earner.user = users.get(email)
    # Rows this transaction inserts are its own until it ends: only the earners that
    # were there (or were made meanwhile by a concurrent award) need reading and locking.
    made = insert_many(
        [earner for email, earner in fresh.items() if email not in linked],
        ignore_conflicts=True,
        key="email",
    )
    earners = {e.email: e for e in made}
    if len(earners) < len(by_email):
        earners.update(
            (e.email, e)
            for e in Earner.objects.select_for_update(of=("self",)).filter(
                issuer=issuer, email__in=[email for email in by_email if email not in earners]
            )
        )
    # Their accounts: the ones just made or found above, and the linked earners' own, in
    # one query (a join would build every account a second time).
    accounts = {user.pk: user for user in users.values()}
    wanted = {e.user_id for e in earners.values() if e.user_id and e.user_id not in accounts}
    if wanted:
        accounts.update((user.pk, user) for user in User.objects.filter(pk__in=wanted))
    for earner in earners.values():
        if earner.user_id:
            earner.user = accounts[earner.user_id]
    changed = []
    for email, earner in earners.items():
        merged = _merged_earner(earner, by_email[email])
        if earner.user_id is None:
            earner.user = users.get(email) or _accounts_for({email: earner})[email]
            merged = True
        if merged:
            earner.updated_at = now
            changed.append(earner)
    if changed:
        Earner.objects.bulk_update(
            changed, ["first_name", "last_name", "metadata", "user", "updated_at"], batch_size=CHUNK
        )
    return earners


ROW_OVERRIDES = {
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "expires_at",
    "notes",
    "narrative",
    "emitted_at",
    "additional_details",
    "imp_legacy_id",
}


def issue_rows(
    *,
    issuer: Issuer,
    template: BadgeTemplate,
    version,
    items: list[tuple[int, dict]],
    actor=None,
    notify: bool,
    allow_duplicate: bool,
    batch: AssignmentBatch | None = None,
    imported: bool = False,
    defaults: dict | None = None,
) -> IssueOutcome:
    """Issue one badge per row with bulk statements.

    Runs inside the caller's transaction. A row is {email, first_name, last_name,
    metadata} (clean) and may override any of `defaults`: activity_title,
    activity_started_at, activity_ended_at, expires_at, notes, narrative, emitted_at,
    additional_details, imp_legacy_id, idempotency_key. Credits are the caller's
    business; each badge with `notify` gets its email in the outbox.
    """
    defaults = defaults or {}
    now = timezone.now()
    keys = [row["idempotency_key"] for _, row in items if row.get("idempotency_key")]
    existing_keys = set()
    if keys:
        existing_keys = set(
            assertions_keyed(issuer, "idempotency_key", keys).values_list(
                "idempotency_key", flat=True
            )
        )
    earners = _earners_for(issuer, items, now)
    held = set()
    if not allow_duplicate:
        held = set(
            Assertion.objects.filter(
                earner__in=[e.pk for e in earners.values()],
                badge_template=template,
                status=AssertionStatus.VALID,
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("earner_id", flat=True)
        )

    errors: list[RowError] = []
    assertions: list[Assertion] = []
    already = 0
    for number, row in items:
        if row.get("idempotency_key") in existing_keys:
            already += 1  # issued by an earlier run of this batch
            continue
        earner = earners[row["email"]]
        if earner.pk in held:
            errors.append(RowError(number, "email", f"{earner.email} already holds this badge."))
            continue
        values = {**defaults, **{k: v for k, v in row.items() if k in ROW_OVERRIDES}}
        emitted_at = values.get("emitted_at") or now
        expires_at = values.get("expires_at")
        try:
            check_dates(
                emitted_at=emitted_at,
                expires_at=expires_at,
                started=values.get("activity_started_at"),
                ended=values.get("activity_ended_at"),
            )
        except ApplicationError as exc:
            for field, messages in exc.field_errors.items():
                errors.append(RowError(number, field, " ".join(messages)))
            continue
        salt = secrets.token_hex(16)
        assertion = Assertion(
            imported=imported,
            status=status_for(expires_at, now),
            badge_template_version=version,
            badge_template=template,
            organization=issuer,
            earner=earner,
            activity_title=values.get("activity_title") or "",
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
            batch=batch,
            created_by=actor,
            idempotency_key=row.get("idempotency_key") or "",
            imp_legacy_id=values.get("imp_legacy_id") or "",
        )
        assertions.append(assertion)
        if not allow_duplicate:
            held.add(earner.pk)

    insert_many(assertions)
    kind = EventKind.IMPORTED if imported else EventKind.ISSUED
    payload = {"version": version.number, "notify": notify}
    if batch is not None:
        payload["batch"] = batch.entity_id
    events = [
        AssertionEvent(assertion=a, kind=kind, actor=actor, payload=payload) for a in assertions
    ]
    if notify and assertions:
        emails = []
        for assertion in assertions:
            user = assertion.earner.user
            mail_kind, subject, context = award_email(
                assertion, user, new_account=not user.has_usable_password()
            )
            emails.append(
                OutboundEmail(
                    kind=mail_kind,
                    to_email=assertion.recipient_email,
                    subject=subject,
                    context=context,
                    assertion=assertion,
                    user=user,
                )
            )
        insert_many(emails)
        events.extend(
            AssertionEvent(
                assertion=email.assertion,
                kind=EventKind.EMAIL_QUEUED,
                payload={"email_id": email.pk, "email_kind": email.kind},
            )
            for email in emails
        )
        enqueue_send_many([email.pk for email in emails])
    insert_many(events)
    return IssueOutcome(assertions, already, errors)


# --- imports --------------------------------------------------------------------------


def _clean_import_row(template, row, now) -> tuple[dict, dict]:
    """(clean row, field errors) of one imported badge, in the badge's field names."""
    if not isinstance(row, dict):
        return {}, {"non_field_errors": ["Give an object with the badge's fields."]}
    clean, earner_errors = _clean_row(
        {
            "email": row.get("recipient_email"),
            "first_name": row.get("recipient_first_name"),
            "last_name": row.get("recipient_last_name"),
        }
    )
    errors = {f"recipient_{field}": messages for field, messages in earner_errors.items()}
    emitted_at = row.get("emitted_at")
    if not isinstance(emitted_at, datetime):
        errors["emitted_at"] = ["When the badge was issued is required."]
    elif emitted_at > now + ISSUED_ON_TOLERANCE:
        errors["emitted_at"] = ["Give a date and time that is not in the future."]
    details = row.get("additional_details")
    if details is not None and not isinstance(details, dict):
        errors["additional_details"] = ["Give an object."]
    legacy = str(row.get("imp_legacy_id") or "").strip()
    if len(legacy) > 255:
        errors["imp_legacy_id"] = ["Ensure this field has no more than 255 characters."]
    expires_at = row.get("expires_at", TEMPLATE_DEFAULT)
    if "emitted_at" not in errors:
        if expires_at is TEMPLATE_DEFAULT:
            expires_at = default_expiry(template, emitted_at)
        try:
            check_dates(
                emitted_at=emitted_at,
                expires_at=expires_at,
                started=row.get("activity_started_at"),
                ended=row.get("activity_ended_at"),
            )
        except ApplicationError as exc:
            errors.update(exc.field_errors)
    return {
        **clean,
        "emitted_at": emitted_at,
        "expires_at": expires_at,
        "activity_title": (row.get("activity_title") or "").strip(),
        "activity_started_at": row.get("activity_started_at"),
        "activity_ended_at": row.get("activity_ended_at"),
        "notes": row.get("notes") or "",
        "additional_details": details or {},
        "imp_legacy_id": legacy,
    }, errors


def _clean_import_rows(template: BadgeTemplate, rows) -> list[dict]:
    if not isinstance(rows, list | tuple) or not rows:
        raise ApplicationError(
            "Give at least one badge.", field_errors={"badges": ["Give at least one badge."]}
        )
    if len(rows) > MAX_IMPORT:
        raise ApplicationError(
            f"At most {MAX_IMPORT} badges per import; this has {len(rows)}.",
            field_errors={"badges": [f"At most {MAX_IMPORT} per request."]},
        )
    now = timezone.now()
    cleaned, problems, first_with = [], {}, {}
    for index, row in enumerate(rows):
        clean, errors = _clean_import_row(template, row, now)
        legacy = clean.get("imp_legacy_id")
        if legacy and legacy in first_with:
            errors["imp_legacy_id"] = [
                f"Given twice: also in badge {first_with[legacy]} of this import (from 0)."
            ]
        elif legacy:
            first_with[legacy] = index
        if errors:
            problems[str(index)] = errors
        cleaned.append(clean)
    if problems:
        raise ApplicationError(
            f"{len(problems)} of the badges are not valid; nothing was imported.",
            field_errors={"badges": problems},
        )
    return cleaned


@transaction.atomic
def assertions_import(
    *, template: BadgeTemplate, rows, actor=None, notify: bool = False
) -> list[Assertion]:
    """Import badges issued by another system, all or nothing: `imported` set, their
    `imp_legacy_id` kept (unique per issuer), their dates as given. No email is sent
    unless `notify` (each email costs a credit, as for an assignment)."""
    require_role(actor, template.issuer, ASSIGN)
    template = BadgeTemplate.objects.select_related("issuer", "current_version").get(pk=template.pk)
    issuer = template.issuer
    rows = _clean_import_rows(template, rows)
    legacy = {row["imp_legacy_id"]: i for i, row in enumerate(rows) if row["imp_legacy_id"]}
    taken = set(
        assertions_keyed(issuer, "imp_legacy_id", list(legacy)).values_list(
            "imp_legacy_id", flat=True
        )
    )
    if taken:
        raise ConflictError(
            f"{len(taken)} of these badges were imported before (same imp_legacy_id); "
            "nothing was imported.",
            field_errors={
                "badges": {
                    str(legacy[value]): {"imp_legacy_id": ["A badge with this id exists."]}
                    for value in sorted(taken)
                }
            },
            code="already_imported",
        )
    if notify:
        try:
            credits_reserve(
                issuer=issuer, amount=len(rows), actor=actor, note="Imported badges' emails"
            )
        except InsufficientCreditsError:
            balance = Issuer.objects.values_list("credit_balance", flat=True).get(pk=issuer.pk)
            raise _not_enough_credits(issuer, len(rows), balance) from None
    outcome = issue_rows(
        issuer=issuer,
        template=template,
        version=template.current_version,
        items=list(enumerate(rows, start=1)),
        actor=actor,
        notify=notify,
        allow_duplicate=True,
        imported=True,
    )
    if outcome.errors:  # the rows were checked above: a concurrent import got there first
        raise ConflictError(
            "Some badges could not be imported; nothing was imported.",
            field_errors={
                "badges": {str(e.row - 1): {e.field: [e.message]} for e in outcome.errors},
            },
        )
    return outcome.assertions


def batches_resume_stale(*, older_than_seconds: int = 900) -> int:
    """Enqueue again the batches pending or running with no progress for a while; return
    how many. Running one twice is harmless (see batch_run)."""
    from assertions.tasks import run_assignment_batch

    stale = list(
        AssignmentBatch.objects.filter(
            status__in=[BatchStatus.PENDING, BatchStatus.RUNNING],
            updated_at__lt=timezone.now() - timedelta(seconds=older_than_seconds),
        ).values_list("pk", flat=True)[:1000]
    )
    for batch_id in stale:
        run_assignment_batch.delay(batch_id)
    return len(stale)
