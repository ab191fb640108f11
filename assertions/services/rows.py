"""What a row of an award must be, checked before anything is written.

A row names an earner (email, names, metadata) and may carry the badge's own fields
(evidence, additional details, dates). Every way in checks rows here: the award service,
the APIs, the wizard's earner lists (`assign.files`) and the imports, which
use `imported_row_clean` for the badges another system issued.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.i18n import language_clean
from core.placeholders import placeholders_unknown
from core.validators import is_web_url, json_number_refused
from earners.services import clean_email
from issuers.models import EMAIL_PLACEHOLDERS
from templates_app.models import BadgeTemplate, ValidityUnit

# `expires_at=TEMPLATE_DEFAULT` (the default) takes the template's default validity;
# `expires_at=None` means the badge never expires.
TEMPLATE_DEFAULT = object()
# Clocks of API clients drift; an issue date this far ahead is still "now".
ISSUED_ON_TOLERANCE = timedelta(minutes=5)
MAX_EARNERS = 10_000  # per assignment
MAX_IMPORT = 1_000  # badges per import call
MAX_NAME = 150  # characters of a first or last name (the columns' size)


@dataclass(frozen=True)
class RowError:
    """Why one row was not awarded: its number and the rule's own error."""

    row: int
    error: ApplicationError

    @property
    def field(self) -> str:
        return next(iter(self.error.field_errors), "non_field_errors")

    @property
    def message(self) -> str:
        return self.error.message

    @property
    def detail(self) -> dict:
        """What is wrong, by field, as an API names a row's errors."""
        return self.error.field_errors or {"non_field_errors": [self.message]}

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


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


def dates_check(*, emitted_at, expires_at, started, ended, imported: bool = False) -> None:
    """The dates of a badge agree. An imported badge keeps its source's expiry even when
    it precedes the issue date (`expiry_before_issue` says so to the importer)."""
    errors = {}
    if expires_at is not None and expires_at <= emitted_at and not imported:
        errors["expires_at"] = ["The expiry must be after the issue date."]
    if started is not None and ended is not None and ended < started:
        errors["activity_ended_at"] = ["The activity cannot end before it starts."]
    if errors:
        raise ApplicationError(_("The dates are not consistent."), field_errors=errors)


def expiry_resolve(
    template, *, emitted_at, expires_at, started, ended, imported: bool = False
) -> datetime | None:
    """A badge's expiry (TEMPLATE_DEFAULT: the template's default validity from its issue
    date), checked with its other dates."""
    if expires_at is TEMPLATE_DEFAULT:
        expires_at = default_expiry(template, emitted_at)
    dates_check(
        emitted_at=emitted_at,
        expires_at=expires_at,
        started=started,
        ended=ended,
        imported=imported,
    )
    return expires_at


def expiry_before_issue(row: dict) -> str:
    """The warning for an imported badge whose expiry is not after its issue date (kept
    as its source holds it, shown as expired), or "" when its dates agree."""
    emitted_at, expires_at = row.get("emitted_at"), row.get("expires_at")
    if not isinstance(emitted_at, datetime) or not isinstance(expires_at, datetime):
        return ""
    if expires_at > emitted_at:
        return ""
    return _(
        "Its expiry (%(expires)s) is not after its issue date (%(issued)s): imported as it "
        "is, with both dates kept, and shown as expired."
    ) % {"expires": expires_at.isoformat(), "issued": emitted_at.isoformat()}


def issued_on_check(issued_on: datetime, now: datetime, *, field: str = "emitted_at") -> None:
    if issued_on > now + ISSUED_ON_TOLERANCE:
        raise ApplicationError(
            _("A badge cannot be issued in the future."),
            field_errors={field: [_("Give a date and time that is not in the future.")]},
        )


def details_clean(details) -> dict:
    if details is not None and not isinstance(details, dict):
        raise ApplicationError(
            _("Additional details must be an object."),
            field_errors={"additional_details": [_("Give an object.")]},
        )
    return details or {}


def evidence_clean(evidence) -> list[dict]:
    """The evidence list as stored ([{url, narrative}]); ApplicationError naming each bad
    item. A url must be http(s): it is shown as a link on the public page."""
    if not evidence:
        return []
    if not isinstance(evidence, list | tuple):
        raise ApplicationError(
            _("Evidence must be a list."), field_errors={"evidence": [_("Give a list.")]}
        )
    problems, cleaned = [], []
    for i, item in enumerate(evidence, start=1):
        if not isinstance(item, dict) or set(item) - {"url", "narrative"}:
            problems.append(f"Evidence {i} must be an object with url and/or narrative.")
            continue
        if not (item.get("url") or item.get("narrative")):
            problems.append(f"Evidence {i} needs a url or a narrative.")
            continue
        if item.get("url") and not is_web_url(str(item["url"])):
            problems.append(f"Evidence {i}: the url must be an http(s) address.")
            continue
        cleaned.append({k: str(v) for k, v in item.items() if v})
    if problems:
        raise ApplicationError(_("The evidence is not valid."), field_errors={"evidence": problems})
    return cleaned


# --- earners --------------------------------------------------------------------------


def earner_row_clean(row) -> tuple[dict, dict]:
    """(clean row, field errors) of one earner row {email, first_name, last_name,
    language, metadata}; a blank language is the issuer's."""
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
    elif (number := json_number_refused(metadata)) is not None:
        errors["metadata"] = [
            _("The number %(number)s is too large to keep; give it as text.") % {"number": number}
        ]
    names = {}
    for field in ("first_name", "last_name"):
        value = row.get(field) or ""
        if not isinstance(value, str):
            errors[field] = ["Give text."]
            value = ""
        elif len(value.strip()) > MAX_NAME:
            errors[field] = [f"Ensure this field has no more than {MAX_NAME} characters."]
        names[field] = value.strip()
    language = language_clean(row.get("language"))
    if language is None:
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        errors["language"] = [_("Use one of the languages %(codes)s.") % {"codes": codes}]
        language = ""
    return {"email": email, **names, "language": language, "metadata": metadata}, errors


def earner_row_check(row: dict) -> dict:
    """The clean earner row, or ApplicationError naming what is wrong."""
    clean_email(row.get("email"))  # a bad email raises its own error and code
    clean, errors = earner_row_clean(row)
    if errors:
        raise ApplicationError(_("The earner's details are not valid."), field_errors=errors)
    return clean


def earner_rows_clean(rows, *, limit: int = MAX_EARNERS, field: str = "earners") -> list[dict]:
    """Every row checked; ApplicationError naming each bad row (by its index in `rows`,
    as in the request body) when any is wrong."""
    if not isinstance(rows, list | tuple) or not rows:
        raise ApplicationError(
            _("Give at least one earner."), field_errors={field: [_("Give at least one earner.")]}
        )
    if len(rows) > limit:
        raise ApplicationError(
            _("At most %(limit)s earners per request; this has %(count)s.")
            % {"limit": limit, "count": len(rows)},
            field_errors={field: [_("At most %(limit)s per request.") % {"limit": limit}]},
        )
    cleaned, problems = [], {}
    for index, row in enumerate(rows):
        clean, errors = earner_row_clean(row)
        if errors:
            problems[str(index)] = errors
        cleaned.append(clean)
    if problems:
        raise ApplicationError(
            _("%(count)s of the earners are not valid.") % {"count": len(problems)},
            field_errors={field: problems},
        )
    return cleaned


# --- imported badges ------------------------------------------------------------------


def evidence_as_text(evidence) -> tuple[list, list[str]]:
    """Evidence whose link cannot be shown as one (not http(s)) kept as text: (evidence,
    what was changed, item by item). Other items stay as given."""
    kept, changed = [], []
    for i, item in enumerate(evidence if isinstance(evidence, list | tuple) else [], start=1):
        url = item.get("url") if isinstance(item, dict) else None
        if url and not is_web_url(str(url)) and not set(item) - {"url", "narrative"}:
            narrative = str(item.get("narrative") or "").strip()
            kept.append({"narrative": f"{narrative}\n\n{url}" if narrative else str(url)})
            changed.append(
                _("Evidence %(number)s: its link %(url)s is not a web address; kept as text.")
                % {"number": i, "url": url}
            )
        else:
            kept.append(item)
    return kept, changed


ANYWAY_HINT = gettext_lazy(
    "Importing anyway (import_badgr --anyway, or the import page's box) keeps it as it is."
)


def imported_row_clean(
    template: BadgeTemplate | None,
    row,
    now: datetime,
    *,
    keep_source_dates: bool = False,
    anyway: bool = False,
) -> tuple[dict, dict]:
    """(clean row, field errors) of a badge another system issued, in the badge's field
    names: recipient_email / first_name / last_name, emitted_at (required), expires_at
    (left out: the template's default), activity_*, notes, narrative, evidence,
    additional_details, imp_legacy_id, and whether it was revoked there (revoked,
    revoked_reason). `template` may be None when the expiry is given (a dry run).

    `keep_source_dates`: the importers of another platform's badges (Badgr, Open Badges
    files, spreadsheets of past awards) keep an expiry that is not after the issue date
    as the source holds it, with a warning in the clean row's `warnings`; a client of
    the API is told to fix it. Told to import `anyway`, they also keep a future issue
    date and evidence links that are not web addresses (as text), with a warning each;
    otherwise these errors say that importing anyway would keep them."""
    if not isinstance(row, dict):
        return {}, {"non_field_errors": ["Give an object with the badge's fields."]}
    earner, earner_errors = earner_row_clean(
        {
            "email": row.get("recipient_email"),
            "first_name": row.get("recipient_first_name"),
            "last_name": row.get("recipient_last_name"),
        }
    )
    errors = {f"recipient_{field}": messages for field, messages in earner_errors.items()}
    warnings = []
    emitted_at = row.get("emitted_at")
    if not isinstance(emitted_at, datetime):
        errors["emitted_at"] = ["When the badge was issued is required."]
    else:
        try:
            issued_on_check(emitted_at, now)
        except ApplicationError as exc:
            if anyway:
                warnings.append(
                    _("Its issue date (%(issued)s) is in the future: imported as it is.")
                    % {"issued": emitted_at.isoformat()}
                )
            else:
                errors.update(_with_hint(exc.field_errors, keep_source_dates))
    evidence = row.get("evidence")
    if anyway:
        evidence, changed = evidence_as_text(evidence)
        warnings += changed
    clean = {"evidence": [], "additional_details": {}}
    for name, rule, value in (
        ("additional_details", details_clean, row.get("additional_details")),
        ("evidence", evidence_clean, evidence),
    ):
        try:
            clean[name] = rule(value)
        except ApplicationError as exc:
            fixable = name == "evidence" and bool(evidence_as_text(value)[1])
            errors.update(_with_hint(exc.field_errors, keep_source_dates and fixable))
    legacy = str(row.get("imp_legacy_id") or "").strip()
    if len(legacy) > 255:
        errors["imp_legacy_id"] = ["Ensure this field has no more than 255 characters."]
    expires_at = row.get("expires_at", TEMPLATE_DEFAULT)
    if "emitted_at" not in errors:
        try:
            expires_at = expiry_resolve(
                template,
                emitted_at=emitted_at,
                expires_at=expires_at,
                started=row.get("activity_started_at"),
                ended=row.get("activity_ended_at"),
                imported=keep_source_dates,
            )
        except ApplicationError as exc:
            errors.update(exc.field_errors)
    if keep_source_dates and not errors:
        odd = expiry_before_issue({"emitted_at": emitted_at, "expires_at": expires_at})
        warnings += [odd] if odd else []
    return {
        **earner,
        **clean,
        "emitted_at": emitted_at,
        "expires_at": expires_at,
        "activity_title": (row.get("activity_title") or "").strip(),
        "activity_started_at": row.get("activity_started_at"),
        "activity_ended_at": row.get("activity_ended_at"),
        "notes": row.get("notes") or "",
        "narrative": (row.get("narrative") or "").strip(),
        "imp_legacy_id": legacy,
        "revoked": bool(row.get("revoked")),
        "revoked_reason": (row.get("revoked_reason") or "").strip(),
        "warnings": warnings,
    }, errors


def _with_hint(field_errors: dict, hint: bool) -> dict:
    """An importer's errors that importing anyway would get past say so."""
    if not hint:
        return field_errors
    return {field: [*messages, str(ANYWAY_HINT)] for field, messages in field_errors.items()}


def imported_rows_clean(
    template: BadgeTemplate,
    rows,
    *,
    limit: int = MAX_IMPORT,
    keep_source_dates: bool = False,
    anyway: bool = False,
) -> list[dict]:
    """Every imported badge checked (legacy ids not repeated within `rows`);
    ApplicationError naming each bad one by its index when any is wrong."""
    if not isinstance(rows, list | tuple) or not rows:
        raise ApplicationError(
            _("Give at least one badge."), field_errors={"badges": [_("Give at least one badge.")]}
        )
    if len(rows) > limit:
        raise ApplicationError(
            _("At most %(limit)s badges per import; this has %(count)s.")
            % {"limit": limit, "count": len(rows)},
            field_errors={"badges": [_("At most %(limit)s per request.") % {"limit": limit}]},
        )
    now = timezone.now()
    cleaned, problems, first_with = [], {}, {}
    for index, row in enumerate(rows):
        clean, errors = imported_row_clean(
            template, row, now, keep_source_dates=keep_source_dates, anyway=anyway
        )
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
            _("%(count)s of the badges are not valid; nothing was imported.")
            % {"count": len(problems)},
            field_errors={"badges": problems},
        )
    return cleaned


MAX_EMAIL_MESSAGE = 5000


def email_message_clean(message) -> str:
    """An assignment's message for its emails: Markdown text whose placeholders are
    those of the issuers' email templates."""
    message = (message or "").strip() if isinstance(message, str | type(None)) else None
    if message is None:
        raise ApplicationError(
            _("The email message must be text."), field_errors={"email_message": [_("Give text.")]}
        )
    problems = []
    if len(message) > MAX_EMAIL_MESSAGE:
        problems.append(
            _("Keep the message to %(limit)s characters at most.") % {"limit": MAX_EMAIL_MESSAGE}
        )
    wrong = placeholders_unknown(message, EMAIL_PLACEHOLDERS)
    if wrong:
        problems.append(
            _("Unknown placeholder %(wrong)s; use %(allowed)s.")
            % {
                "wrong": ", ".join(wrong),
                "allowed": ", ".join("{{ " + p + " }}" for p in EMAIL_PLACEHOLDERS),
            }
        )
    if problems:
        raise ApplicationError(
            " ".join(problems), field_errors={"email_message": problems}, code="invalid_message"
        )
    return message
