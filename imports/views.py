"""The issuer's import pages.

Thin: forms check the input, imports.services/.spreadsheet do the work, a worker runs
the long imports (a Badgr server, Open Badges files) and the run page polls their
progress.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from imports import services
from imports.documents import documents_from_text, documents_from_uploads
from imports.forms import BadgrImportForm, DocumentsImportForm, SpreadsheetImportForm
from imports.models import ImportRun, RunKind, RunStatus
from imports.spreadsheet import read_sheet, spreadsheet_import
from issuers.models import Role
from issuers.permissions import MANAGE_TEMPLATES, has_role
from issuers.selectors import issuer_for_user

MAX_UPLOAD = 60 * 1024 * 1024


def _issuer(request, entity_id: str, role=Role.STAFF):
    try:
        return issuer_for_user(request.user, entity_id, role)
    except ApplicationError:
        raise Http404("Issuer not found.") from None


def _page(request, issuer, **forms):
    context = {
        "issuer": issuer,
        "can_create_templates": has_role(request.user, issuer, MANAGE_TEMPLATES),
        "badgr_form": forms.get("badgr_form") or BadgrImportForm(),
        "documents_form": forms.get("documents_form") or DocumentsImportForm(),
        "spreadsheet_form": forms.get("spreadsheet_form") or SpreadsheetImportForm(),
        "runs": ImportRun.objects.filter(issuer=issuer).select_related("created_by")[:20],
    }
    status = 400 if forms else 200
    return render(request, "imports/home.html", context, status=status)


@login_required
@require_GET
def import_home(request, entity_id: str):
    return _page(request, _issuer(request, entity_id))


def _run_url(issuer, run) -> str:
    return reverse("import-run", args=[issuer.entity_id, run.entity_id])


@login_required
@require_POST
def import_badgr(request, entity_id: str):
    issuer = _issuer(request, entity_id, Role.EDITOR)
    form = BadgrImportForm(request.POST)
    if not form.is_valid():
        return _page(request, issuer, badgr_form=form)
    try:
        run = services.import_run_create_badgr(
            issuer=issuer,
            actor=request.user,
            url=form.cleaned_data["url"],
            token=form.cleaned_data["token"],
            source_issuers=form.cleaned_data["issuers"],
            dry_run=form.cleaned_data["dry_run"],
            anyway=form.cleaned_data["anyway"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _page(request, issuer, badgr_form=form)
    return redirect(_run_url(issuer, run))


@login_required
@require_POST
def import_documents(request, entity_id: str):
    issuer = _issuer(request, entity_id, Role.EDITOR)
    form = DocumentsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, issuer, documents_form=form)
    try:
        documents = documents_from_uploads(form.cleaned_data["files"])
        documents.extend(documents_from_text(form.cleaned_data["urls"]))
        run = services.import_run_create_documents(
            issuer=issuer,
            actor=request.user,
            documents=documents,
            emails=form.cleaned_data["emails"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _page(request, issuer, documents_form=form)
    return redirect(_run_url(issuer, run))


@login_required
@require_POST
def import_spreadsheet(request, entity_id: str):
    issuer = _issuer(request, entity_id)
    form = SpreadsheetImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, issuer, spreadsheet_form=form)
    upload = form.cleaned_data["sheet"]
    try:
        if upload.size > MAX_UPLOAD:
            raise ApplicationError(_("The spreadsheet is larger than 60 MB."))
        rows = read_sheet(upload.name, upload.read())
        report = spreadsheet_import(
            issuer=issuer, rows=rows, actor=request.user, anyway=form.cleaned_data["anyway"]
        )
    except ApplicationError as exc:
        form.add_error("sheet", exc.message)
        return _page(request, issuer, spreadsheet_form=form)
    run = services.import_run_record(
        kind=RunKind.SPREADSHEET,
        issuer=issuer,
        actor=request.user,
        report=report,
        source=upload.name,
    )
    messages.success(
        request,
        _(
            "%(name)s: %(created)s badges imported, %(unchanged)s already here, %(failed)s "
            "rows not imported, %(warnings)s to know about (listed below)."
        )
        % {
            "name": upload.name,
            "created": report.total("created"),
            "unchanged": report.total("unchanged"),
            "failed": report.total("failed"),
            "warnings": len(report.warnings),
        },
    )
    return redirect(_run_url(issuer, run))


def _run(request, entity_id: str, run_id: str):
    issuer = _issuer(request, entity_id)
    run = ImportRun.objects.filter(issuer=issuer, entity_id=run_id).first()
    if run is None:
        raise Http404("No such import.")
    return issuer, run


def progress_of(run: ImportRun) -> dict:
    counts = run.counts or {}
    return {
        "status": run.status,
        "stage": run.stage,
        "percent": run.percent,
        "processed": run.processed,
        "total": run.total,
        "created": sum(c.get("created", 0) for c in counts.values()),
        "updated": sum(c.get("updated", 0) for c in counts.values()),
        "unchanged": sum(c.get("unchanged", 0) for c in counts.values()),
        "failed": sum(c.get("failed", 0) for c in counts.values()),
        "counts": counts,
        "errors": (run.errors or [])[:200],
        "warnings": (run.warnings or [])[:200],
        "linked": sum(c.get("linked", 0) for c in counts.values()),
        "message": run.message,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
    }


@login_required
@require_GET
def run_page(request, entity_id: str, run_id: str):
    issuer, run = _run(request, entity_id, run_id)
    resume = None
    if (
        run.kind == RunKind.BADGR
        and run.status == RunStatus.FAILED
        and has_role(request.user, issuer, MANAGE_TEMPLATES)
    ):
        # The same import again (a run forgets its token): it carries on where it stopped.
        resume = BadgrImportForm(
            initial={
                "url": run.source_url,
                "issuers": " ".join(run.source_issuers or []),
                "dry_run": run.dry_run,
                "anyway": run.anyway,
            }
        )
    return render(
        request,
        "imports/run.html",
        {"issuer": issuer, "run": run, "progress": progress_of(run), "resume_form": resume},
    )


@login_required
@require_GET
def run_progress(request, entity_id: str, run_id: str):
    _, run = _run(request, entity_id, run_id)
    response = JsonResponse(progress_of(run))
    response["Cache-Control"] = "no-store"
    return response
