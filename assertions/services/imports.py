"""Badges issued by another system, brought in through the one award path: `imported`
set, their `imp_legacy_id` kept (unique per issuer), their dates, narrative and evidence
as given, and their revocation at the source applied with `assertion_revoke`. The imports
app (Badgr, Open Badges files, spreadsheets) and /api/v1 call `assertions_import`.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assertions.models import Assertion
from assertions.selectors import assertions_keyed
from assertions.services.award import assertions_award, template_fresh
from assertions.services.revoke import assertion_revoke
from assertions.services.rows import MAX_IMPORT, imported_rows_clean
from core.exceptions import ConflictError
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate


def _taken(issuer, rows: list[dict]) -> ConflictError | None:
    legacy = {row["imp_legacy_id"]: i for i, row in enumerate(rows) if row["imp_legacy_id"]}
    taken = set(
        assertions_keyed(issuer, "imp_legacy_id", list(legacy)).values_list(
            "imp_legacy_id", flat=True
        )
    )
    if not taken:
        return None
    return ConflictError(
        _(
            "%(count)s of these badges were imported before (same imp_legacy_id); "
            "nothing was imported."
        )
        % {"count": len(taken)},
        field_errors={
            "badges": {
                str(legacy[value]): {"imp_legacy_id": [_("A badge with this id exists.")]}
                for value in sorted(taken)
            }
        },
        code="already_imported",
    )


@transaction.atomic
def assertions_import(
    *,
    template: BadgeTemplate,
    rows,
    actor=None,
    notify: bool = False,
    limit: int = MAX_IMPORT,
    keep_source_dates: bool = False,
    anyway: bool = False,
) -> list[Assertion]:
    """Import badges issued by another system, all or nothing (rows as
    `imported_row_clean` takes them, at most `limit`). No email is sent unless `notify`
    (each email costs a credit, as for an assignment). An archived template still takes
    the badges it had. `keep_source_dates`, `anyway`: see `imported_row_clean`."""
    require_role(actor, template.issuer, ASSIGN)
    template = template_fresh(template)
    rows = imported_rows_clean(
        template, rows, limit=limit, keep_source_dates=keep_source_dates, anyway=anyway
    )
    taken = _taken(template.issuer, rows)
    if taken is not None:
        raise taken
    try:
        with transaction.atomic():
            outcome = assertions_award(
                template=template,
                items=list(enumerate(rows, start=1)),
                actor=actor,
                notify=notify,
                allow_duplicate=True,
                imported=True,
                reserve=True,
                note="Imported badges' emails",
            )
    except IntegrityError:  # a concurrent import of the same legacy ids committed first
        raise ConflictError(
            _("These badges were being imported at the same time; nothing was imported."),
            code="already_imported",
        ) from None
    if outcome.errors:
        raise ConflictError(
            _("Some badges could not be imported; nothing was imported."),
            field_errors={
                "badges": {str(e.row - 1): e.detail for e in outcome.errors},
            },
        )
    for assertion, row in zip(outcome.assertions, rows, strict=True):
        if row["revoked"]:
            # The sources give no revocation date: none is invented.
            assertion_revoke(
                assertion=assertion,
                actor=actor,
                reason=row["revoked_reason"],
                notify=False,
                date_unknown=True,
            )
    return outcome.assertions
