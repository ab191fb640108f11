from celery import shared_task

from assign.services import drafts_expire


@shared_task(acks_late=True)
def expire_wizard_drafts() -> int:
    """Delete the wizard's drafts past their day, and their earner lists (beat, hourly)."""
    return drafts_expire()
