"""An assignment: one badge template to one or many earners with one assignment context
(the Open Badge API's assignment flow), from the wizard or /api/v1.

`batch_assign` is its one entry point. Every assignment is an AssignmentBatch and
reserves its credits in one ledger entry, whatever its size. Up to SYNC_LIMIT earners are
awarded now, all or nothing, through the same bulk statements as a queued batch; more
are queued (`assertions.services.batches`) and awarded by a worker in chunks.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.services.award import AwardOutcome, assertions_award, template_awardable
from assertions.services.batches import batch_create, batch_numbering_clean
from assertions.services.rows import (
    TEMPLATE_DEFAULT,
    earner_rows_clean,
    email_message_clean,
    expiry_resolve,
)
from core.exceptions import ApplicationError
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate

SYNC_LIMIT = 100  # up to this many earners are awarded in the request itself


@dataclass(frozen=True)
class AssignResult:
    batch: AssignmentBatch
    # The badges awarded, or None when the batch was queued for a worker.
    assertions: list[Assertion] | None

    @property
    def queued(self) -> bool:
        return self.assertions is None


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
    email_message: str = "",
    source_rows: list[int] | None = None,
    rejected: list[dict] | None = None,
) -> AssignResult:
    """Assign `template` to the earners of `rows` with one assignment context.

    Each earner with `notify` costs one credit (the email), which carries
    `email_message` (Markdown, placeholders as in the issuer's email template). Up to
    SYNC_LIMIT earners are awarded now, all or nothing; more are queued as a batch (see
    the module docstring). `source_rows` numbers the rows as the caller's list does (the
    uploaded file's row numbers, one per row) and `rejected` names the rows of that list
    left out before ([{row, email, message}]); the batch keeps both, so its report speaks
    of the rows the way the file does.
    """
    require_role(actor, template.issuer, ASSIGN)
    template = template_awardable(template)
    rows = earner_rows_clean(rows)
    email_message = email_message_clean(email_message)
    numbering = batch_numbering_clean(source_rows, rejected, count=len(rows))
    expires_at = expiry_resolve(
        template,
        emitted_at=timezone.now(),
        expires_at=expires_at,
        started=activity_started_at,
        ended=activity_ended_at,
    )
    context = {
        "activity_title": (activity_title or "").strip(),
        "activity_started_at": activity_started_at,
        "activity_ended_at": activity_ended_at,
        "expires_at": expires_at,
        "notes": notes or "",
        "narrative": narrative or "",
    }
    if len(rows) <= SYNC_LIMIT:
        return _assign_now(
            template=template,
            rows=rows,
            actor=actor,
            notify=notify,
            allow_duplicate=allow_duplicate,
            context={**context, **numbering},
            email_message=email_message,
        )
    batch = batch_create(
        template=template,
        rows=rows,
        actor=actor,
        notify=notify,
        allow_duplicate=allow_duplicate,
        email_message=email_message,
        **context,
        **numbering,
    )
    return AssignResult(batch, None)


def _refused(outcome: AwardOutcome, rows: list[dict]) -> ApplicationError:
    """The error of an assignment with rows that cannot be awarded, each named by its
    position in the request (from 0), as the rows' own errors say."""
    first = outcome.errors[0]
    detail = {str(error.row - 1): error.detail for error in outcome.errors}
    values = {
        "row": first.row,
        "email": rows[first.row - 1]["email"],
        "problem": first.message,
        "others": len(outcome.errors) - 1,
    }
    if values["others"]:
        message = _(
            "Row %(row)s (%(email)s): %(problem)s (%(others)s more rows cannot be assigned "
            "either.) Nothing was assigned."
        )
    else:
        message = _("Row %(row)s (%(email)s): %(problem)s Nothing was assigned.")
    return type(first.error)(
        message % values,
        code=first.error.code,
        field_errors={"earners": detail},
    )


@transaction.atomic
def _assign_now(
    *, template, rows, actor, notify, allow_duplicate, context, email_message=""
) -> AssignResult:
    """Award every row now (one expiry for all), all or nothing."""
    defaults = {k: v for k, v in context.items() if k not in ("source_rows", "rejected")}
    batch = AssignmentBatch.objects.create(
        email_message=email_message,
        issuer=template.issuer,
        badge_template_version=template.current_version,
        status=BatchStatus.RUNNING,
        total=len(rows),
        notify=notify,
        started_at=timezone.now(),
        created_by=actor,
        **context,
    )
    outcome = assertions_award(
        template=template,
        items=list(enumerate(rows, start=1)),
        actor=actor,
        notify=notify,
        allow_duplicate=allow_duplicate,
        batch=batch,
        defaults=defaults,
        reserve=True,
        note=f"Assignment batch {batch.entity_id}",
    )
    if outcome.errors:
        raise _refused(outcome, rows)
    batch.issued = outcome.issued
    batch.credits_reserved = batch.credits_used = outcome.reserved
    batch.status = BatchStatus.DONE
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "issued",
            "credits_reserved",
            "credits_used",
            "status",
            "finished_at",
            "updated_at",
        ]
    )
    return AssignResult(batch, outcome.assertions)
