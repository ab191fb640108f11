import logging

from celery import shared_task
from django.utils.translation import gettext

from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient, BadgrError
from imports.documents import documents_forget, documents_import, documents_load
from imports.models import ImportRun, RunStatus
from imports.progress import RunProgress
from imports.services import import_run_finish, import_run_start, import_runs_resume_stale

log = logging.getLogger(__name__)


# Imports are long (a big Badgr server takes a while); they go to the bulk workers beside
# assignment batches (CELERY_TASK_ROUTES). The global 10-minute limit would cut them; a
# cut run resumes anyway.
LONG = {"soft_time_limit": 6 * 3600, "time_limit": 6 * 3600 + 300}


@shared_task(bind=True, acks_late=True, max_retries=3, **LONG)
def run_badgr_import(self, run_id: int) -> str:
    """Run (or, redelivered after a crash, resume) an import from a Badgr server. The
    import is idempotent, so running it again carries on where it stopped."""
    run = ImportRun.objects.filter(pk=run_id).select_related("issuer").first()
    if run is None or run.status in (RunStatus.DONE, RunStatus.FAILED):
        return "missing" if run is None else run.status
    import_run_start(run)
    try:
        client = BadgrClient(run.source_url, run.token)
        client.check()
        report = badgr_import(
            client=client,
            issuer_ids=run.source_issuers,
            into=run.issuer,
            dry_run=run.dry_run,
            anyway=run.anyway,
            progress=RunProgress(run),
        )
    except BadgrError as exc:
        # Failed, with the reason; what it did before is counted. A new run resumes.
        return import_run_finish(run, exc.report, message=exc.message).status
    except Exception as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            log.exception("Import run %s stopped", run.entity_id)
            message = gettext(
                "The import stopped on an error (%(error)s); what was imported is kept. "
                "Start it again to carry on."
            ) % {"error": type(exc).__name__}
            return import_run_finish(run, None, message=message).status
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
    return import_run_finish(run, report).status


@shared_task(bind=True, acks_late=True, max_retries=3, **LONG)
def run_documents_import(self, run_id: int) -> str:
    """Verify and import uploaded Open Badges files/URLs; idempotent per badge, so a
    redelivered task carries on."""
    run = ImportRun.objects.filter(pk=run_id).select_related("issuer", "created_by").first()
    if run is None or run.status in (RunStatus.DONE, RunStatus.FAILED):
        return "missing" if run is None else run.status
    import_run_start(run)
    try:
        documents, emails = documents_load(run)
        report = documents_import(
            issuer=run.issuer,
            documents=documents,
            actor=run.created_by,
            emails=emails,
            progress=RunProgress(run),
        )
    except Exception as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            log.exception("Import run %s stopped", run.entity_id)
            message = gettext("The import stopped on an error (%(error)s). Start it again.") % {
                "error": type(exc).__name__
            }
            return import_run_finish(run, None, message=message).status
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
    documents_forget(run)
    return import_run_finish(run, report).status


@shared_task(acks_late=True)
def resume_import_runs() -> int:
    """Re-enqueue import runs whose task was lost (broker down at commit, worker killed)."""
    return import_runs_resume_stale()
