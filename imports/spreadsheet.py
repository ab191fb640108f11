"""Import past awards from a spreadsheet (CSV or XLSX): one badge a row.

Columns (header names, any case; the names of our own export work too):

| what | header |
|---|---|
| earner's email (required) | `email`, `recipient_email`, `earner` |
| names | `first_name` / `recipient_first_name`, `last_name` / `recipient_last_name` |
| template (required) | `template`, `badge_template`, `badge_template_version`, `badge`: |
| | its entity id, one of its versions' ids (as in the export) or its name (`Name v2` too) |
| issue date (required) | `issued_on`, `emitted_at`, `issue_date`, `issued` |
| expiry | `expires_at`, `expires`, `expiry` |
| legacy id | `imp_legacy_id`, `legacy_id`, else `id` (the export's own id) |
| also | `activity_title`, `notes`, `narrative`, `status` (`revoked`) and `revoked_reason` |

The file (the first sheet of an XLSX) is read by core.spreadsheets, in bounded time
and memory: at most MAX_ROWS badges and MAX_COLUMNS columns, or it is refused whole.
Dates without an offset are in the issuer's time zone. A row without a legacy id gets
a stable one made of its earner, template and issue date, so importing the same sheet
twice never duplicates a badge. The badges go in through `assertions_import` (imported,
no email, no credit), one transaction per template and chunk; a bad row is reported
with its number and the others are imported.
"""

import datetime as dt
import hashlib
import re

from django.db import transaction
from django.utils.translation import gettext as _

from assertions.models import AssertionStatus
from assertions.selectors import assertions_keyed
from assertions.services import (
    MAX_IMPORT,
    assertions_import,
    imported_row_clean,
)
from core.exceptions import ApplicationError
from core.spreadsheets import TooManyRows, read_spreadsheet
from core.timefmt import get_zone, parse_datetime
from imports.legacy import legacy_record_assertions, strip_nul
from imports.report import Report
from issuers.models import Issuer
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate, BadgeTemplateVersion

MAX_ROWS = 20_000
MAX_COLUMNS = 100  # our own export has 25; other columns are ignored, but read
ALIASES = {
    "email": ("email", "recipient_email", "earner", "earner_email"),
    "first_name": ("first_name", "recipient_first_name", "firstname"),
    "last_name": ("last_name", "recipient_last_name", "lastname"),
    "template": ("template", "badge_template", "badge_template_version", "badge", "badge_class"),
    "issued_on": ("issued_on", "emitted_at", "issue_date", "issued", "issuedon"),
    "expires": ("expires_at", "expires", "expiry", "expiry_date"),
    "legacy_id": ("imp_legacy_id", "legacy_id"),
    "id": ("id",),
    "activity_title": ("activity_title",),
    "notes": ("notes",),
    "narrative": ("narrative",),
    "status": ("status",),
    "revoked_reason": ("revoked_reason", "revocation_reason"),
}
VERSION_SUFFIX = re.compile(r"\s+v\d+$")


def _key(header) -> str:
    return re.sub(r"[\s\-]+", "_", str(header or "").strip().lower())


def read_sheet(name: str, data: bytes) -> list[dict]:
    """The rows of a CSV or XLSX file as {header: value}, header names normalised; read
    by core.spreadsheets, in bounded time and memory."""
    try:
        sheet = read_spreadsheet(
            data, name=name, max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS, field="sheet"
        )
    except TooManyRows:
        raise ApplicationError(
            _("At most %(max_rows)s badges per sheet; split this one.") % {"max_rows": MAX_ROWS}
        ) from None
    lines = [cells for _, cells in sheet.rows]
    if len(lines) < 2:
        raise ApplicationError(_("The sheet needs a header row and at least one badge."))
    header = [_key(h) for h in lines[0]]
    return [strip_nul(dict(zip(header, line, strict=False))) for line in lines[1:]]


def _pick(row: dict, what: str):
    for name in ALIASES[what]:
        value = row.get(name)
        if value not in (None, ""):
            return value.strip() if isinstance(value, str) else value
    return None


def _date(value, zone, label: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    text = str(value).strip().lstrip("'")
    try:
        return parse_datetime(text, zone)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    errors[label] = f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS."
    return None


class _Templates:
    def __init__(self, issuer: Issuer):
        self.by_id, self.by_name = {}, {}
        for template in BadgeTemplate.objects.filter(issuer=issuer).select_related(
            "current_version", "issuer"
        ):
            self.by_id[template.entity_id] = template
            self.by_name.setdefault(template.name.strip().lower(), []).append(template)
        # The badge object (and so our export) names a template version by its id.
        templates = {t.pk: t for t in self.by_id.values()}
        for version_id, template_pk in BadgeTemplateVersion.objects.filter(
            template__issuer=issuer
        ).values_list("entity_id", "template_id"):
            self.by_id[version_id] = templates[template_pk]

    def find(self, value: str):
        value = str(value).strip()
        if value in self.by_id:
            return self.by_id[value], None
        for name in (value.lower(), VERSION_SUFFIX.sub("", value).lower()):
            found = self.by_name.get(name) or []
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                return None, f"More than one template is called {value!r}; give its id."
        return None, f"No template of this issuer is called {value!r}."


def _stable_id(email: str, template: BadgeTemplate, emitted: dt.datetime) -> str:
    digest = hashlib.sha256(f"{email}|{template.entity_id}|{emitted.isoformat()}".encode())
    return f"sheet:{digest.hexdigest()[:32]}"


def _parse(row: dict, number: int, templates: _Templates, zone):
    """(template, badge row for assertions_import) or raise ApplicationError."""
    errors = {}
    template = None
    if _pick(row, "template") is None:
        errors["template"] = "Give the template."
    else:
        template, problem = templates.find(_pick(row, "template"))
        if problem:
            errors["template"] = problem
    emitted = _date(_pick(row, "issued_on"), zone, "issued_on", errors)
    if emitted is None and "issued_on" not in errors:
        errors["issued_on"] = "Give the issue date."
    expires = _date(_pick(row, "expires"), zone, "expires", errors)
    if errors:
        raise ApplicationError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    email = str(_pick(row, "email") or "").strip().lower()
    legacy = str(_pick(row, "legacy_id") or _pick(row, "id") or "").strip()
    badge = {
        "recipient_email": email,
        "recipient_first_name": str(_pick(row, "first_name") or ""),
        "recipient_last_name": str(_pick(row, "last_name") or ""),
        "emitted_at": emitted,
        "expires_at": expires,
        "activity_title": str(_pick(row, "activity_title") or ""),
        "notes": str(_pick(row, "notes") or ""),
        "imp_legacy_id": legacy or _stable_id(email, template, emitted),
        "narrative": str(_pick(row, "narrative") or "").strip(),
        "revoked": str(_pick(row, "status") or "").strip().lower() == AssertionStatus.REVOKED,
        "revoked_reason": str(_pick(row, "revoked_reason") or "").strip(),
    }
    return template, badge


def spreadsheet_import(
    *, issuer: Issuer, rows: list[dict], actor=None, anyway: bool = False
) -> Report:
    """Import the badges of `rows` (from read_sheet) into `issuer`; rows are numbered as
    in the sheet (the header is row 1)."""
    require_role(actor, issuer, ASSIGN)
    report = Report()
    templates = _Templates(issuer)
    zone = get_zone(issuer.timezone)
    parsed, seen = [], {}
    for number, row in enumerate(rows, start=2):
        try:
            template, badge = _parse(row, number, templates, zone)
        except ApplicationError as exc:
            report.fail("row", f"row {number}", exc.message)
            continue
        clean, problems = imported_row_clean(
            template, badge, dt.datetime.now(dt.UTC), keep_source_dates=True, anyway=anyway
        )
        if problems:
            message = "; ".join(f"{f}: {' '.join(m)}" for f, m in problems.items())
            report.fail("row", f"row {number}", message)
            continue
        legacy = badge["imp_legacy_id"]
        if legacy in seen:
            report.fail("row", f"row {number}", f"The same badge as row {seen[legacy]}.")
            continue
        seen[legacy] = number
        parsed.append((number, template, badge))
        for warning in clean["warnings"]:
            report.warn("row", f"row {number}", warning)

    existing = set()
    legacy_ids = [badge["imp_legacy_id"] for _, _, badge in parsed]
    for start in range(0, len(legacy_ids), 5000):
        existing |= set(
            assertions_keyed(issuer, "imp_legacy_id", legacy_ids[start : start + 5000]).values_list(
                "imp_legacy_id", flat=True
            )
        )
    groups: dict[int, list] = {}
    for item in parsed:
        if item[2]["imp_legacy_id"] in existing:
            report.add("assertion", "unchanged")
        else:
            groups.setdefault(item[1].pk, []).append(item)
    for items in groups.values():
        for start in range(0, len(items), MAX_IMPORT):
            _import_chunk(
                items[start : start + MAX_IMPORT], actor=actor, report=report, anyway=anyway
            )
    return report


def _import_chunk(items, *, actor, report: Report, anyway: bool = False) -> None:
    template = items[0][1]
    try:
        with transaction.atomic():
            created = assertions_import(
                template=template,
                rows=[badge for _, _, badge in items],
                actor=actor,
                keep_source_dates=True,
                anyway=anyway,
            )
            # Old public URLs named by these ids redirect here (made-up sheet: ids never
            # were URLs).
            legacy_record_assertions(
                source=f"spreadsheet:{template.issuer.entity_id}",
                assertions=[a for a in created if not a.imp_legacy_id.startswith("sheet:")],
            )
    except ApplicationError as exc:
        for number, *_ in items:
            report.fail("row", f"row {number}", exc.message)
        return
    report.add("assertion", "created", len(created))
