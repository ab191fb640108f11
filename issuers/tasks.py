from celery import shared_task

from issuers.services import credits_grant_monthly


@shared_task(acks_late=True)
def grant_monthly_credits() -> int:
    """CREDITS_MONTHLY_GRANT to every issuer not yet granted this month (beat, hourly)."""
    return credits_grant_monthly()
