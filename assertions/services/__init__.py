"""Every write of the assertions domain, one module per job:

- `award`    the one write path that awards a template to a list of rows
             (`assertions_award`) and the single award on it (`assertion_issue`);
- `assign`   an assignment (wizard, /api/v1): `batch_assign`, small ones done now;
- `batches`  large assignments, run by a worker in resumable chunks;
- `imports`  badges issued elsewhere (`assertions_import`);
- `rows`     what a row must be: earners, evidence, dates, imported badges;
- `accounts` the earners of an award and their accounts, found or made and locked;
- `credits`  what an award costs: one reservation, one refund;
- `emails`   the award emails and resending them;
- `events`   the audit trail;
- `update`, `revoke`, `backpack`  changes to badges once awarded;
- `earner_data` an earner's data download and account deletion.
- `collections` an earner's collections of their badges.

The names below are the public ones; import them from here.
"""

from assertions.openbadges import recipient_hash
from assertions.services.assign import SYNC_LIMIT, AssignResult, batch_assign
from assertions.services.award import (
    MAX_ISSUE,
    AwardOutcome,
    IssueResult,
    assertion_issue,
    assertions_award,
    assertions_issue,
    status_for,
    template_awardable,
    template_fresh,
)
from assertions.services.backpack import imported_badge_add, imported_badge_remove
from assertions.services.batches import (
    CHUNK,
    batch_chunk_fail,
    batch_chunk_run,
    batch_create,
    batch_fail,
    batch_run,
    batch_start,
    batches_resume_stale,
    rows_file_name,
)
from assertions.services.collections import (
    collection_create,
    collection_delete,
    collection_update,
)
from assertions.services.earner_data import earner_account_delete, earner_data_export
from assertions.services.emails import (
    assertion_resend_email,
    assertion_resend_latest_email,
    award_email,
    award_email_preview,
    expiry_reminders_queue,
)
from assertions.services.imports import assertions_import
from assertions.services.revoke import (
    RevokeOutcome,
    assertion_revoke,
    assertions_expire_due,
    assertions_revoke_many,
)
from assertions.services.rows import (
    ISSUED_ON_TOLERANCE,
    MAX_EARNERS,
    MAX_IMPORT,
    TEMPLATE_DEFAULT,
    RowError,
    dates_check,
    default_expiry,
    details_clean,
    earner_row_clean,
    earner_rows_clean,
    email_message_clean,
    evidence_as_text,
    evidence_clean,
    expiry_before_issue,
    expiry_resolve,
    imported_row_clean,
    imported_rows_clean,
)
from assertions.services.update import (
    UPDATABLE_FIELDS,
    assertion_set_acceptance,
    assertion_set_name_public,
    assertion_set_private,
    assertion_update,
)

__all__ = [
    "CHUNK",
    "ISSUED_ON_TOLERANCE",
    "MAX_EARNERS",
    "MAX_IMPORT",
    "MAX_ISSUE",
    "SYNC_LIMIT",
    "TEMPLATE_DEFAULT",
    "UPDATABLE_FIELDS",
    "AssignResult",
    "AwardOutcome",
    "IssueResult",
    "RevokeOutcome",
    "RowError",
    "assertion_issue",
    "assertion_resend_email",
    "assertion_resend_latest_email",
    "assertion_revoke",
    "assertion_set_name_public",
    "assertion_set_acceptance",
    "assertion_set_private",
    "assertion_update",
    "assertions_award",
    "assertions_expire_due",
    "assertions_import",
    "assertions_issue",
    "assertions_revoke_many",
    "award_email",
    "award_email_preview",
    "email_message_clean",
    "expiry_resolve",
    "earner_account_delete",
    "earner_data_export",
    "expiry_reminders_queue",
    "batch_assign",
    "batch_chunk_fail",
    "batch_chunk_run",
    "batch_create",
    "batch_fail",
    "batch_run",
    "batch_start",
    "batches_resume_stale",
    "collection_create",
    "collection_delete",
    "collection_update",
    "dates_check",
    "default_expiry",
    "details_clean",
    "earner_row_clean",
    "earner_rows_clean",
    "evidence_as_text",
    "evidence_clean",
    "expiry_before_issue",
    "imported_badge_add",
    "imported_badge_remove",
    "imported_row_clean",
    "imported_rows_clean",
    "recipient_hash",
    "rows_file_name",
    "status_for",
    "template_awardable",
    "template_fresh",
]
