"""Earner lists for the assign wizard: reading a CSV or XLSX file (or pasted rows),
mapping its columns, and checking every row before anything is issued.

The rules, in one place (the wizard's views only call these):

- A file is at most MAX_UPLOAD_BYTES; an empty file, a file with a header and no rows,
  a binary file (an image, a PDF, an old .xls), more than MAX_EARNERS rows or a value
  past MAX_COLUMNS columns is refused with a message saying which.
- Files and pasted rows are read by core.spreadsheets, in bounded time and memory (zip
  and shared-strings bombs, declared sizes, a time budget: see there). Text is read as
  UTF-8 (with or without a byte-order mark) or UTF-16 with a BOM; otherwise as
  Windows-1252, then Latin-1 - what spreadsheets on Windows save - so accented names
  come out right. The delimiter (, ; tab |) is detected. XLSX is read with openpyxl in
  read-only mode, first sheet, values (not formulas).
- The first row is a header unless one of its cells is an email address.
- Columns are mapped to email / first_name / last_name / language by their header (English,
  Italian, French, German, Spanish spellings) or, without a header, by content; every
  other column is kept as the earner's metadata under its header.
- Each row is checked: a valid email, a first and a last name, not a duplicate of an
  earlier row of the same list, and (once the badge template is known) not an earner
  who already holds the badge. Rows are numbered as a spreadsheet shows them: with a
  header, the first earner is row 2.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assertions.selectors import holders
from assertions.services import MAX_EARNERS, earner_row_clean
from core import spreadsheets
from core.exceptions import ApplicationError
from core.spreadsheets import SpreadsheetRefused as FileRefused

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# well below DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB of form data), so the message can be
# shown on the form (a larger body gets core.views.bad_request's 413 page)
MAX_PASTE_CHARS = 1_000_000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 1000
FIELDS = ("email", "first_name", "last_name")  # each row needs these
OPTIONAL_FIELDS = ("language",)  # blank: the issuer's language
FIELD_LABELS = {
    "email": _("Email"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "language": _("Language"),
}

# Header spellings, compared after lower-casing and dropping accents, spaces and dashes.
SYNONYMS = {
    "email": {
        "email", "mail", "emailaddress", "emailadresse", "indirizzoemail", "posta",
        "postaelettronica", "correo", "correoelectronico", "courriel", "adressemail",
        "recipientemail", "earneremail",
    },
    "first_name": {
        "firstname", "first", "givenname", "forename", "name", "nome", "prenom", "vorname",
        "nombre", "recipientfirstname",
    },
    "last_name": {
        "lastname", "last", "surname", "familyname", "cognome", "nom", "nachname",
        "apellido", "apellidos", "recipientlastname",
    },
    "language": {"language", "lingua", "langue", "sprache", "idioma", "lang", "locale"},
}  # fmt: skip

EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Table:
    """What was read: column names and the non-blank rows with their spreadsheet number."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]
    has_header: bool
    source: str = ""  # "CSV (UTF-8, ';')", "XLSX", ...

    def as_dict(self) -> dict:
        return {
            "columns": self.columns,
            "rows": [[n, cells] for n, cells in self.rows],
            "has_header": self.has_header,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Table":
        return cls(
            columns=list(data["columns"]),
            rows=[(int(n), list(cells)) for n, cells in data["rows"]],
            has_header=bool(data["has_header"]),
            source=data.get("source", ""),
        )


@dataclass
class RowProblem:
    row: int
    email: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "email": self.email, "message": self.message}


@dataclass
class Checked:
    """Rows ready for `batch_assign` (each with its spreadsheet row number under
    "row") and the problems of the others."""

    valid: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def problem_rows(self) -> int:
        return len({p.row for p in self.problems})


# --- reading -------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def read_upload(upload) -> Table:
    """A Django UploadedFile (CSV or XLSX) as a Table; FileRefused with the reason."""
    size = upload.size or 0
    if size > MAX_UPLOAD_BYTES:
        raise _refuse(
            gettext(
                "The file is %(size)s; the limit is %(limit)s. Split it into smaller files, "
                "or keep only the earners' columns."
            )
            % {"size": _mb(size), "limit": _mb(MAX_UPLOAD_BYTES)}
        )
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:  # the size given was wrong
        raise _refuse(
            gettext("The file is larger than the limit of %(limit)s.")
            % {"limit": _mb(MAX_UPLOAD_BYTES)}
        )
    return read_bytes(data, name=getattr(upload, "name", "") or "")


def _refuse(message: str) -> FileRefused:
    return FileRefused(message, field_errors={"file": [message]})


def read_bytes(data: bytes, *, name: str = "") -> Table:
    try:
        sheet = spreadsheets.read_spreadsheet(
            data, max_rows=MAX_EARNERS + 1, max_columns=MAX_COLUMNS
        )
    except spreadsheets.TooManyRows:
        raise _refuse(_too_many()) from None
    return _table(sheet)


def read_pasted(text: str) -> Table:
    if not (text or "").strip():
        raise FileRefused(
            gettext("Paste at least one row."),
            field_errors={"pasted": [gettext("Paste at least one row.")]},
        )
    if len(text) > MAX_PASTE_CHARS:
        raise FileRefused(
            gettext("That is too much to paste; upload it as a file instead."),
            field_errors={"pasted": [gettext("Too long to paste; upload a file.")]},
        )
    try:
        sheet = spreadsheets.read_text(text, max_rows=MAX_EARNERS + 1, max_columns=MAX_COLUMNS)
    except spreadsheets.TooManyRows:
        raise FileRefused(_too_many(), field_errors={"pasted": [_too_many()]}) from None
    return _table(sheet)


def _too_many() -> str:
    return gettext(
        "The file has more than %(max)s earners; split it into files of at most %(max)s."
    ) % {"max": number_format(MAX_EARNERS, force_grouping=True)}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _table(sheet: spreadsheets.Sheet) -> Table:
    records = [
        (n, [_cell_text(c).strip()[:MAX_CELL_CHARS] for c in cells[:MAX_COLUMNS]])
        for n, cells in sheet.rows
    ]
    records = [(n, cells) for n, cells in records if any(cells)]
    if not records:
        raise _refuse(gettext("The file has no rows."))
    width = max(len(cells) for _, cells in records)
    records = [(n, cells + [""] * (width - len(cells))) for n, cells in records]
    first = records[0][1]
    has_header = not any(EMAILISH.match(c) for c in first)
    if has_header:
        columns = _unique_names([c or _column(i) for i, c in enumerate(first)])
        rows = records[1:]
    else:
        columns = [_column(i) for i in range(width)]
        rows = records
    if not rows:
        raise _refuse(gettext("The file has a header but no earners under it."))
    if len(rows) > MAX_EARNERS:
        raise _refuse(_too_many())
    return Table(columns=columns, rows=rows, has_header=has_header, source=sheet.source)


def _column(index: int) -> str:
    return gettext("Column %(number)d") % {"number": index + 1}


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


# --- mapping -------------------------------------------------------------------------


def _key(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def guess_mapping(table: Table) -> dict[str, int | None]:
    """{field: column index or None} for email, first_name and last_name."""
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS + OPTIONAL_FIELDS)
    if table.has_header:
        for index, column in enumerate(table.columns):
            key = _key(column)
            for name in FIELDS + OPTIONAL_FIELDS:
                if mapping[name] is None and key in SYNONYMS[name]:
                    mapping[name] = index
                    break
    if mapping["email"] is None:
        sample = table.rows[:50]
        best, best_hits = None, 0
        for index in range(len(table.columns)):
            hits = sum(1 for _, cells in sample if EMAILISH.match(cells[index]))
            if hits > best_hits and index not in mapping.values():
                best, best_hits = index, hits
        mapping["email"] = best
    if not table.has_header:
        others = [i for i in range(len(table.columns)) if i != mapping["email"]]
        for name, index in zip(("first_name", "last_name"), others, strict=False):
            mapping[name] = index
    return mapping


def clean_mapping(table: Table, raw: dict) -> dict[str, int | None]:
    """A mapping from the form ({field: "index" or ""}) checked against the table."""
    mapping: dict[str, int | None] = {}
    errors = {}
    for name in FIELDS + OPTIONAL_FIELDS:
        value = raw.get(name)
        if value in (None, ""):
            mapping[name] = None
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(table.columns):
            errors[name] = [gettext("Choose one of the file's columns.")]
        mapping[name] = index
    if mapping.get("email") is None:
        errors["email"] = [gettext("Choose the column with the email addresses.")]
    used = [i for i in mapping.values() if i is not None]
    if len(used) != len(set(used)):
        errors["non_field_errors"] = [gettext("Use each column for one field only.")]
    if errors:
        raise ApplicationError(
            gettext("The columns are not mapped correctly."), field_errors=errors
        )
    return mapping


# --- checking ------------------------------------------------------------------------


def earner_rows(table: Table, mapping: dict[str, int | None]) -> list[dict]:
    """Each row as {row, email, first_name, last_name, metadata}, unchecked."""
    mapped = {i for i in mapping.values() if i is not None}
    out = []
    for number, cells in table.rows:
        row = {
            "row": number,
            **{name: (cells[i] if i is not None else "") for name, i in mapping.items()},
        }
        row["metadata"] = {
            table.columns[i]: cells[i]
            for i in range(len(table.columns))
            if i not in mapped and cells[i]
        }
        out.append(row)
    return out


def check_rows(rows: list[dict], *, issuer, template=None) -> Checked:
    """Every row checked (see the module docstring); valid rows come back cleaned."""
    result = Checked()
    first_row_of: dict[str, int] = {}
    candidates = []
    for raw in rows:
        number = raw["row"]
        clean, errors = earner_row_clean(
            {k: raw.get(k) for k in ("email", "first_name", "last_name", "language", "metadata")}
        )
        shown_email = (raw.get("email") or "").strip()
        messages = []
        if "email" in errors:
            messages.append(
                gettext('"%(email)s" is not a valid email.') % {"email": shown_email}
                if shown_email
                else gettext("The email is missing.")
            )
        for name in ("first_name", "last_name"):
            label = FIELD_LABELS[name]
            if name in errors:
                messages.append(f"{label}: {' '.join(errors[name])}")
            elif not clean.get(name):
                messages.append(
                    gettext("The %(field)s is missing.") % {"field": str(label).lower()}
                )
        if "language" in errors:
            messages.append(f'"{raw.get("language")}": {" ".join(errors["language"])}')
        email = clean.get("email") or ""
        if email and "email" not in errors:
            if email in first_row_of:
                messages.append(
                    gettext("%(email)s is also in row %(row)s.")
                    % {"email": email, "row": first_row_of[email]}
                )
            else:
                first_row_of[email] = number
        if messages:
            result.problems.append(RowProblem(number, shown_email, " ".join(messages)))
        else:
            candidates.append({**clean, "row": number})
    if template is not None and candidates:
        held = holders(template=template, emails=[r["email"] for r in candidates])
        for row in candidates:
            if row["email"] in held:
                message = gettext("%(email)s already holds this badge.") % {"email": row["email"]}
                result.problems.append(RowProblem(row["row"], row["email"], message))
            else:
                result.valid.append(row)
        result.problems.sort(key=lambda p: p.row)
    else:
        result.valid = candidates
    return result
