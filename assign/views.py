"""The assign wizard (/issuers/<id>/assign/...) and the batch pages.

One screen per step of the Open Badge API's assignment flow: earners (one, or many from
a file or pasted rows, with column mapping and per-row checks), context, template,
validity, notes, review. What was entered so far is a `WizardDraft` of the person for
the issuer (its answers in a row, its earner list in a file of the private storage:
`assign.services`), whose id alone the session holds, until the assignment is
confirmed; `batch_assign` does the rest.
"""

import functools
import secrets
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from accounts.selectors import emails_with_password
from assertions import openbadges
from assertions.exports import batch_report_response
from assertions.models import AssignmentBatch
from assertions.selectors import batch_progress, batch_rows, holders
from assertions.services import (
    SYNC_LIMIT,
    TEMPLATE_DEFAULT,
    award_email_preview,
    batch_assign,
    default_expiry,
    email_message_clean,
    expiry_resolve,
)
from assign import files as assign_files
from assign.forms import (
    ContextForm,
    EarnersForm,
    MappingForm,
    NotesForm,
    ValidityForm,
    expiry_of,
)
from assign.models import WizardDraft
from assign.selectors import draft_content, draft_for, draft_of
from assign.services import draft_create, draft_discard, draft_update
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.forms import add_application_error
from core.markdown import render_markdown
from issuers.exceptions import InsufficientCreditsError
from issuers.links import credits_links
from issuers.models import Issuer
from issuers.selectors import issuer_for_user
from templates_app.models import BadgeTemplate

STEPS = (
    ("earners", gettext_lazy("Earners")),
    ("context", gettext_lazy("Context")),
    ("template", gettext_lazy("Badge")),
    ("validity", gettext_lazy("Validity")),
    ("notes", gettext_lazy("Notes")),
    ("review", gettext_lazy("Review")),
)
STEP_NAMES = [name for name, _label in STEPS]
MAX_PROBLEMS_SHOWN = 500


# --- helpers ---------------------------------------------------------------------------


def _issuer(request, entity_id: str) -> Issuer:
    try:
        return issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None


def _key(issuer) -> str:
    return f"assign:{issuer.entity_id}"


class Draft:
    """The draft as the views work on it. Indexed like a dict, it is the steps' answers
    (the WizardDraft's `data`); `content` is its earner list (the table read, the rows
    that pass the file's checks, "candidates", and the file's problems), read from
    storage only by the steps that use it; `rows` and `problems` are what `_recheck`
    works out from the candidates once a template is chosen (kept nowhere)."""

    def __init__(self, record: WizardDraft | None):
        self.record = record
        self.data = dict(record.data) if record is not None else {}
        self.data.setdefault("done", [])
        self._content = None
        self.content_changed = False
        self.rows: list[dict] = []
        self.problems: list[dict] = []

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def __contains__(self, key):
        return key in self.data

    def get(self, key, default=None):
        return self.data.get(key, default)

    def update(self, **values):
        self.data.update(values)

    @property
    def has_earners(self) -> bool:
        return self.content_changed or bool(self.record is not None and self.record.rows)

    @property
    def content(self) -> dict:
        if self._content is None:
            try:
                self._content = draft_content(self.record) if self.record is not None else {}
            except NotFoundError:
                raise Http404("This assignment in progress is no longer there.") from None
        return self._content

    @content.setter
    def content(self, value: dict) -> None:
        self._content = value
        self.content_changed = True


def _draft(request, issuer) -> Draft:
    """The draft whose id the session holds; a fresh one when it holds none, or one
    that is gone or past its day. Someone else's id is a 404."""
    try:
        record = draft_for(
            user=request.user, issuer=issuer, entity_id=request.session.get(_key(issuer))
        )
    except NotFoundError:
        raise Http404("No such assignment in progress.") from None
    return Draft(record)


def _save(request, issuer, draft: Draft, *, done: str | None = None) -> None:
    if done and done not in draft["done"]:
        draft["done"].append(done)
    content = draft.content if draft.content_changed else None
    try:
        if draft.record is None:
            draft.record = _create(request, issuer, draft.data, content)
            request.session[_key(issuer)] = draft.record.entity_id
        else:
            draft_update(draft=draft.record, actor=request.user, data=draft.data, content=content)
    except NotFoundError:  # confirmed or started over in another tab meanwhile
        raise Http404("This assignment in progress is no longer there.") from None
    draft.content_changed = False


def _create(request, issuer, data: dict, content: dict | None) -> WizardDraft:
    try:
        return draft_create(actor=request.user, issuer=issuer, data=data, content=content)
    except ConflictError:
        # Another request of this person made one at the same moment: this one, the
        # later, replaces it as a new start always does.
        return draft_create(actor=request.user, issuer=issuer, data=data, content=content)


def _forget(request, issuer, draft: Draft) -> None:
    if draft.record is not None:
        draft_discard(draft=draft.record, actor=request.user)
    request.session.pop(_key(issuer), None)


def _url(step: str, issuer) -> str:
    return reverse(f"assign-{step}", kwargs={"entity_id": issuer.entity_id})


def _missing_before(draft: Draft, step: str) -> str | None:
    """The first earlier step not done yet (the wizard goes there instead)."""
    for name in STEP_NAMES[: STEP_NAMES.index(step)]:
        if name not in draft["done"]:
            return name
    return None


def _step(step: str, methods=("GET", "POST"), refused: str = ""):
    """A wizard step after the earners: the view gets (request, issuer, draft), and a
    visitor who skipped an earlier step is sent there first (told `refused`, if given)."""

    def decorate(view):
        @login_required
        @require_http_methods(list(methods))
        @functools.wraps(view)
        def step_view(request, entity_id: str):
            issuer = _issuer(request, entity_id)
            draft = _draft(request, issuer)
            if missing := _missing_before(draft, step):
                if refused:
                    messages.error(request, refused)
                return redirect(_url(missing, issuer))
            return view(request, issuer, draft)

        return step_view

    return decorate


def _template(issuer, entity_id) -> BadgeTemplate | None:
    if not entity_id:
        return None
    return (
        BadgeTemplate.objects.select_related("current_version")
        .filter(issuer=issuer, entity_id=entity_id, archived=False)
        .first()
    )


def _dt(value):
    return parse_datetime(value) if value else None


def _page(request, issuer, step: str, context: dict, *, draft: Draft):
    steps = _page_steps(draft, issuer, step)
    index = STEP_NAMES.index(step)
    back = _url(STEP_NAMES[index - 1], issuer) if index else None
    return render(
        request,
        f"assign/{step}.html",
        {
            "issuer": issuer,
            "steps": steps,
            "step": step,
            "back_url": back,
            "draft": draft,
            "template": _template(issuer, draft.get("template")),
            **context,
        },
    )


def _problems_page(problems: list[dict]) -> tuple[list[dict], int]:
    return problems[:MAX_PROBLEMS_SHOWN], max(0, len(problems) - MAX_PROBLEMS_SHOWN)


# --- step 1: earners -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assign_start(request, entity_id: str):
    """Entry point of the links (dashboard, admin), maybe with a template.

    A GET never discards a draft in progress (a link opened twice, in another tab, or
    prefetched by a browser would lose the earners and steps entered), nor one the
    person has in another browser (it is taken up here): it starts one only when there
    is none, else it asks. Starting over is a POST."""
    issuer = _issuer(request, entity_id)
    data = request.POST if request.method == "POST" else request.GET
    template = _template(issuer, data.get("template"))
    current = _draft(request, issuer)
    if request.method == "GET" and current.record is None:
        # Started in another browser of theirs: taken up here, never replaced by a GET.
        current = Draft(draft_of(user=request.user, issuer=issuer))
        if current.record is not None:
            request.session[_key(issuer)] = current.record.entity_id
    if request.method == "GET" and (current.has_earners or current["done"]):
        return render(
            request,
            "assign/resume.html",
            {
                "issuer": issuer,
                "steps": _page_steps(current, issuer, None),
                "draft": current,
                "rows": current.get("rows_count", 0),
                "template": _template(issuer, current.get("template")),
                "asked_template": template,
                "continue_url": _url(_resume_step(current), issuer),
            },
        )
    # Starting over (a POST) makes a new draft, which replaces the one in progress; a
    # GET reaches here only with none, or one where nothing was entered yet.
    draft = Draft(None if request.method == "POST" else current.record)
    draft.data = {"done": []}
    if template is not None:
        draft["template"] = template.entity_id
    _save(request, issuer, draft)
    return redirect(_url("earners", issuer))


def _resume_step(draft: Draft) -> str:
    """Where a draft in progress goes on: its first step not done, or the review."""
    missing = _missing_before(draft, "review")
    if missing == "earners" and draft.get("mode") == "bulk" and draft.has_earners:
        return "columns"
    return missing or "review"


@login_required
@require_http_methods(["GET", "POST"])
def assign_earners(request, entity_id: str):
    issuer = _issuer(request, entity_id)
    draft = _draft(request, issuer)
    if request.method == "POST":
        form = EarnersForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["mode"] == "single":
                    table = assign_files.Table(
                        columns=["first_name", "last_name", "email"],
                        rows=[(1, [data["first_name"], data["last_name"], data["email"]])],
                        has_header=True,
                        source="single",
                    )
                elif data.get("file"):
                    table = assign_files.read_upload(data["file"])
                else:
                    table = assign_files.read_pasted(data["pasted"])
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                fresh = Draft(draft.record)
                fresh.data = {
                    "done": [],
                    "token": secrets.token_urlsafe(16),
                    "template": draft.get("template"),
                    "mode": data["mode"],
                    "mapping": assign_files.guess_mapping(table),
                    "filename": data["file"].name if data.get("file") else "",
                }
                fresh.content = {"table": table.as_dict()}
                draft = fresh
                checked = None
                if draft["mapping"].get("email") is not None:
                    checked = _check(issuer, draft)
                if data["mode"] == "single":
                    # its one row's columns are named, so always mapped
                    if checked.problems:
                        form.add_error("email", checked.problems[0].message)
                        return _page(request, issuer, "earners", {"form": form}, draft=draft)
                    draft["earner"] = {k: data[k] for k in ("first_name", "last_name", "email")}
                    _save(request, issuer, draft, done="earners")
                    return redirect(_url("context", issuer))
                _save(request, issuer, draft)
                return redirect(reverse("assign-columns", kwargs={"entity_id": issuer.entity_id}))
    else:
        initial = {"mode": draft.get("mode", "single")}
        if draft.get("mode") == "single" and draft.get("earner"):
            initial.update(draft["earner"])
        form = EarnersForm(initial=initial)
    return _page(request, issuer, "earners", {"form": form}, draft=draft)


def _check(issuer, draft: Draft) -> assign_files.Checked:
    """Check the draft's table with its mapping; keep in its earner list the rows that
    pass the file's checks ("candidates") and the file's problems; then work out the
    rows to issue and every problem (`_recheck`)."""
    table = assign_files.Table.from_dict(draft.content["table"])
    rows = assign_files.earner_rows(table, draft["mapping"])
    checked = assign_files.check_rows(rows, issuer=issuer)
    draft.content = {
        "table": draft.content["table"],
        "candidates": checked.valid,
        "file_problems": [p.as_dict() for p in checked.problems],
    }
    return _recheck(issuer, draft, _template(issuer, draft.get("template")))


@login_required
@require_http_methods(["GET", "POST"])
def assign_columns(request, entity_id: str):
    """Bulk: the detected columns, a preview, the mapping and every row's problems."""
    issuer = _issuer(request, entity_id)
    draft = _draft(request, issuer)
    if not draft.has_earners or draft.get("mode") != "bulk":
        return redirect(_url("earners", issuer))
    table = assign_files.Table.from_dict(draft.content["table"])
    if request.method == "POST":
        form = MappingForm(request.POST, columns=table.columns)
        if form.is_valid():
            try:
                mapping = assign_files.clean_mapping(table, form.cleaned_data)
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                if mapping != draft["mapping"] or "candidates" not in draft.content:
                    draft["mapping"] = mapping
                    checked = _check(issuer, draft)
                else:
                    checked = _recheck(issuer, draft, _template(issuer, draft.get("template")))
                if request.POST.get("action") == "continue" and checked.valid:
                    if checked.problems and request.POST.get("skip_invalid") != "1":
                        form.add_error(
                            None,
                            f"{checked.problem_rows} rows have problems: fix the file and "
                            "upload it again, or tick the box to continue with the valid "
                            "rows only.",
                        )
                    else:
                        _save(request, issuer, draft, done="earners")
                        return redirect(_url("context", issuer))
                elif request.POST.get("action") == "continue":
                    form.add_error(None, "No row can be used; fix the file and upload it again.")
                _save(request, issuer, draft)
    else:
        mapping = draft["mapping"]
        form = MappingForm(
            initial={k: ("" if v is None else str(v)) for k, v in mapping.items()},
            columns=table.columns,
        )
        if "candidates" in draft.content:
            _recheck(issuer, draft, _template(issuer, draft.get("template")))
    problems, more = _problems_page(draft.problems)
    return render(
        request,
        "assign/columns.html",
        {
            "issuer": issuer,
            "steps": _page_steps(draft, issuer, "earners"),
            "step": "earners",
            "back_url": _url("earners", issuer),
            "form": form,
            "table": table,
            "preview": table.rows[:5],
            "total_rows": len(table.rows),
            "valid_count": len(draft.rows),
            "problems": problems,
            "more_problems": more,
            "problem_rows": len({p["row"] for p in draft.problems}),
            "template": _template(issuer, draft.get("template")),
            "filename": draft.get("filename"),
        },
    )


def _page_steps(draft: Draft, issuer, step):
    return [
        {
            "name": name,
            "label": label,
            "url": _url(name, issuer),
            "done": name in draft["done"],
            "current": name == step,
        }
        for name, label in STEPS
    ]


# --- steps 2 to 5 ----------------------------------------------------------------------


@_step("context")
def assign_context(request, issuer, draft):
    if request.method == "POST":
        form = ContextForm(request.POST, issuer=issuer)
        if form.is_valid():
            data = form.cleaned_data
            draft["activity_title"] = data["activity_title"].strip()
            for name in ("activity_started_at", "activity_ended_at"):
                draft[name] = data[name].isoformat() if data[name] else None
            _save(request, issuer, draft, done="context")
            return redirect(_url("template", issuer))
    else:
        zone = issuer.timezone
        initial = {"activity_title": draft.get("activity_title", "")}
        for name in ("activity_started_at", "activity_ended_at"):
            value = _dt(draft.get(name))
            if value:
                initial[name] = value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        form = ContextForm(initial=initial, issuer=issuer)
    return _page(request, issuer, "context", {"form": form}, draft=draft)


@_step("template")
def assign_template(request, issuer, draft):
    error = ""
    if request.method == "POST":
        chosen = _template(issuer, request.POST.get("template"))
        if chosen is None:
            error = _("Choose a badge template.")
        else:
            draft["template"] = chosen.entity_id
            # Who already holds this badge is known only now: check the rows again.
            checked = _recheck(issuer, draft, chosen)
            _save(request, issuer, draft, done="template")
            if not checked.valid:
                messages.error(
                    request, _("Every earner already holds this badge; choose another template.")
                )
                draft["done"].remove("template")
                _save(request, issuer, draft)
            else:
                return redirect(_url("validity", issuer))
    query = (request.GET.get("q") or "").strip()[:100]
    templates = BadgeTemplate.objects.filter(issuer=issuer, archived=False).select_related(
        "current_version"
    )
    if query:
        templates = templates.filter(
            Q(name__icontains=query) | Q(description__icontains=query) | Q(kind__iexact=query)
        )
    cards = [
        {
            "template": t,
            "thumbnail": openbadges.badge_image_urls(t.current_version)["image_thumbnail_path"]
            if t.current_version
            else "",
        }
        for t in templates.order_by("name")[:200]
    ]
    return _page(
        request,
        issuer,
        "template",
        {
            "cards": cards,
            "query": query,
            "error": error,
            "chosen": draft.get("template"),
            # The error summary (templates/base.html) links to the first choice.
            "page_errors": [{"message": error, "target": "template-choice-0"}] if error else [],
        },
        draft=draft,
    )


def _recheck(issuer, draft: Draft, template) -> assign_files.Checked:
    """The rows to issue: the draft's candidates less those who already hold `template`
    (none left out while no template is chosen), with every problem in row order."""
    candidates = draft.content.get("candidates") or []
    held = set()
    if template is not None:
        held = holders(template=template, emails=[r["email"] for r in candidates])
    checked = assign_files.Checked()
    checked.valid = [r for r in candidates if r["email"] not in held]
    problems = list(draft.content.get("file_problems") or [])
    problems += [
        {"row": r["row"], "email": r["email"], "message": f"{r['email']} already holds this badge."}
        for r in candidates
        if r["email"] in held
    ]
    problems.sort(key=lambda p: p["row"])
    draft.rows = checked.valid
    draft.problems = problems
    draft["rows_count"] = len(checked.valid)  # for the page that offers to resume it
    checked.problems = [assign_files.RowProblem(**p) for p in problems]
    return checked


@_step("validity")
def assign_validity(request, issuer, draft):
    if request.method == "POST":
        form = ValidityForm(request.POST, issuer=issuer)
        if form.is_valid():
            draft["validity"] = form.cleaned_data["validity"]
            day = form.cleaned_data.get("expires_on")
            draft["expires_on"] = day.isoformat() if day else None
            _save(request, issuer, draft, done="validity")
            return redirect(_url("notes", issuer))
    else:
        form = ValidityForm(
            initial={
                "validity": draft.get("validity", "default"),
                "expires_on": parse_date(draft["expires_on"]) if draft.get("expires_on") else None,
            },
            issuer=issuer,
        )
    template = _template(issuer, draft.get("template"))
    default = "none"
    if template is not None and template.validity_amount:
        default = f"{template.validity_amount} {template.get_validity_unit_display()}"
    return _page(
        request, issuer, "validity", {"form": form, "template_default": default}, draft=draft
    )


@_step("notes")
def assign_notes(request, issuer, draft):
    preview = None
    if request.method == "POST":
        form = NotesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if request.POST.get("action") == "preview":
                preview = render_markdown(data["narrative"])
            else:
                try:
                    message = email_message_clean(data["email_message"])
                except ApplicationError as exc:
                    add_application_error(form, exc)
                else:
                    draft.update(
                        notes=data["notes"],
                        narrative=data["narrative"],
                        notify=data["notify"],
                        email_message=message,
                    )
                    _save(request, issuer, draft, done="notes")
                    return redirect(_url("review", issuer))
    else:
        form = NotesForm(
            initial={
                "notes": draft.get("notes", ""),
                "narrative": draft.get("narrative", ""),
                "notify": draft.get("notify", True),
                "email_message": draft.get("email_message", ""),
            }
        )
    return _page(request, issuer, "notes", {"form": form, "preview": preview}, draft=draft)


# --- step 6: review and confirm --------------------------------------------------------


def _expiry(draft, issuer, template):
    validity = draft.get("validity", "default")
    if validity == "none":
        return None
    if validity == "explicit":
        return expiry_of(parse_date(draft["expires_on"]), issuer)
    return TEMPLATE_DEFAULT


def _numbers(issuer, draft) -> dict:
    count = len(draft.rows)
    emails = count if draft.get("notify", True) else 0
    balance = Issuer.objects.values_list("credit_balance", flat=True).get(pk=issuer.pk)
    return {
        "badges": count,
        "emails": emails,
        "credits": emails,
        "balance": balance,
        "balance_after": balance - emails,
        "short": max(0, emails - balance),
        "queued": count > SYNC_LIMIT,
    }


def _validity_rule(template) -> str:
    if not template.validity_amount:
        return _("the template's default: never expires")
    return _("the template's default: %(amount)s %(unit)s after issue") % {
        "amount": template.validity_amount,
        "unit": template.get_validity_unit_display(),
    }


@_step("review", methods=("GET",))
def assign_review(request, issuer, draft):
    template = _template(issuer, draft.get("template"))
    if template is None:
        messages.error(request, _("That badge template is no longer available; choose another."))
        draft["done"] = [s for s in draft["done"] if s not in ("template", "validity", "notes")]
        _save(request, issuer, draft)
        return redirect(_url("template", issuer))
    _recheck(issuer, draft, template)
    _save(request, issuer, draft)
    expiry = _expiry(draft, issuer, template)
    template_default = expiry is TEMPLATE_DEFAULT
    if template_default:
        # What "the template's default" comes to for badges issued now.
        expiry = default_expiry(template, timezone.now())
    problems, more = _problems_page(draft.problems)
    return _page(
        request,
        issuer,
        "review",
        {
            "numbers": _numbers(issuer, draft),
            **credits_links(request.user, issuer),
            "expiry": expiry,
            "template_default": template_default,
            "validity_rule": _validity_rule(template),
            "badge_image": openbadges.badge_image_urls(template.current_version)["image_path"]
            if template.current_version
            else "",
            "started": _dt(draft.get("activity_started_at")),
            "ended": _dt(draft.get("activity_ended_at")),
            "narrative_html": render_markdown(draft.get("narrative") or ""),
            "email_preview": _email_preview(draft, template, expiry),
            "email_previews": _email_previews(draft, template, expiry),
            "problems": problems,
            "more_problems": more,
            "first_rows": draft.rows[:5],
        },
        draft=draft,
    )


def _email_preview(draft, template, expiry):
    """The exact email the first earner gets, or None when no email is sent."""
    if not draft.get("notify", True) or not draft.rows:
        return None
    first = draft.rows[0]
    try:
        return _preview_of(draft, template, expiry, first)
    except ApplicationError:
        return None  # the dates or the message are refused on confirming, with the reason


def _email_previews(draft, template, expiry) -> list[dict]:
    """The email each kind of earner gets, for the first earner of that kind, with how
    many get it: those who sign in already get the award email; the others (no account,
    or one never given a password) the account-creation email with its set-password
    link. Empty when no email is sent."""
    if not draft.get("notify", True) or not draft.rows:
        return []
    signed_up = emails_with_password(row["email"] for row in draft.rows)
    kinds = (
        (False, [r for r in draft.rows if r["email"].lower() in signed_up]),
        (True, [r for r in draft.rows if r["email"].lower() not in signed_up]),
    )
    previews = []
    for new_account, rows in kinds:
        if not rows:
            continue
        try:
            preview = _preview_of(draft, template, expiry, rows[0], new_account=new_account)
        except ApplicationError:
            return []  # the dates or the message are refused on confirming, with the reason
        caption = (
            ngettext(
                "%(n)s earner without an account gets this email: it makes their account.",
                "%(n)s earners without an account get this email: it makes their account.",
                len(rows),
            )
            if new_account
            else ngettext(
                "%(n)s earner who has an account gets this email.",
                "%(n)s earners who have an account get this email.",
                len(rows),
            )
        )
        previews.append({"preview": preview, "caption": caption % {"n": len(rows)}})
    return previews


def _preview_of(draft, template, expiry, first, new_account=None):
    return award_email_preview(
        new_account=new_account,
        template=template,
        email=first["email"],
        first_name=first.get("first_name", ""),
        last_name=first.get("last_name", ""),
        language=first.get("language", ""),
        activity_title=draft.get("activity_title", ""),
        expires_at=expiry_resolve(
            template,
            emitted_at=timezone.now(),
            expires_at=expiry,
            started=_dt(draft.get("activity_started_at")),
            ended=_dt(draft.get("activity_ended_at")),
        ),
        message=draft.get("email_message", ""),
    )


@_step(
    "review",
    methods=("POST",),
    refused="This assignment was already confirmed or is not complete.",
)
def assign_confirm(request, issuer, draft):
    template = _template(issuer, draft.get("template"))
    if template is not None:
        _recheck(issuer, draft, template)
    if template is None or not draft.rows:
        return redirect(_url("review", issuer))
    rows = [
        {k: r.get(k) for k in ("email", "first_name", "last_name", "language", "metadata")}
        for r in draft.rows
    ]
    # Two confirmations of one draft at once (a double click, two tabs) issue once: the
    # first takes the draft's token; reading the draft alone would let both through.
    lock = f"assign-confirm:{issuer.entity_id}:{draft.get('token', '')}"
    if not cache.add(lock, True, timeout=24 * 3600):
        messages.error(request, _("This assignment is already being issued."))
        return redirect("issuer-dashboard", entity_id=issuer.entity_id)
    try:
        result = batch_assign(
            template=template,
            rows=rows,
            actor=request.user,
            activity_title=draft.get("activity_title", ""),
            activity_started_at=_dt(draft.get("activity_started_at")),
            activity_ended_at=_dt(draft.get("activity_ended_at")),
            expires_at=_expiry(draft, issuer, template),
            notes=draft.get("notes", ""),
            narrative=draft.get("narrative", ""),
            email_message=draft.get("email_message", ""),
            notify=draft.get("notify", True),
            allow_duplicate=False,
            # the report numbers the rows as the file does, with the rows left out
            source_rows=[r["row"] for r in draft.rows] if draft.get("mode") == "bulk" else None,
            rejected=draft.problems if draft.get("mode") == "bulk" else None,
        )
    except InsufficientCreditsError:
        # Nothing was issued; the review page shows the numbers and the top-up link.
        cache.delete(lock)
        messages.error(request, _("Not enough credits: nothing was issued."))
        return redirect(_url("review", issuer))
    except ApplicationError as exc:
        cache.delete(lock)
        messages.error(request, _("Nothing was issued: %(reason)s") % {"reason": exc.message})
        return redirect(_url("review", issuer))
    except Exception:
        cache.delete(lock)
        raise
    _forget(request, issuer, draft)
    batch = result.batch
    # No one-off message: the batch page says what is true at each moment (queued,
    # under way, done), with the numbers, where a message said once would go stale.
    return redirect("batch-detail", entity_id=issuer.entity_id, batch_id=batch.entity_id)


# --- the batch -------------------------------------------------------------------------


def _batch(request, entity_id: str, batch_id: str) -> AssignmentBatch:
    issuer = _issuer(request, entity_id)
    batch = (
        AssignmentBatch.objects.select_related("issuer", "badge_template_version", "created_by")
        .filter(issuer=issuer, entity_id=batch_id)
        .first()
    )
    if batch is None:
        raise Http404("No such assignment.")
    return batch


BATCH_ROWS_PER_PAGE = 100


@login_required
def batch_detail(request, entity_id: str, batch_id: str):
    """An assignment: what is true now (queued, under way, done) with its numbers, and
    every row of its list as the file numbers them: issued, failed or left out, with the
    reason and the email's fate."""
    batch = _batch(request, entity_id, batch_id)
    progress = batch_progress(batch)
    rows = Paginator(batch_rows(batch), BATCH_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    results = {
        "issued": _("issued"),
        "failed": _("failed"),
        "rejected": _("left out"),
    }
    email_states = {
        "sent": _("sent"),
        "failed": _("failed"),
        "pending": _("waiting"),
        "sending": _("sending"),
        "not sent": _("not sent"),
        "": "",
    }
    for line in rows.object_list:
        line["result_label"] = results[line["result"]]
        line["email_label"] = email_states.get(line["email_status"], line["email_status"])
    return render(
        request,
        "assign/batch.html",
        {
            "issuer": batch.issuer,
            "batch": batch,
            "progress": progress,
            "rows": rows,
            "rejected_count": len(batch.rejected or []),
            "all_done": progress["finished"] and progress["emails_percent"] >= 100,
        },
    )


@login_required
def batch_progress_json(request, entity_id: str, batch_id: str):
    batch = _batch(request, entity_id, batch_id)
    response = JsonResponse(batch_progress(batch))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def batch_report(request, entity_id: str, batch_id: str):
    return batch_report_response(_batch(request, entity_id, batch_id))
