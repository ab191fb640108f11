"""The emails that tell an earner of a badge, queued in the outbox (core.services) in the
transaction that awards it, and sent again on request."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.services.accounts import accounts_load
from assertions.services.events import event, event_record
from core.exceptions import ConflictError
from core.models import EmailKind, OutboundEmail
from core.services import email_resend, emails_queue_many
from core.timefmt import format_v1
from issuers.permissions import ASSIGN, require_role


def award_email(assertion: Assertion, user, *, new_account: bool) -> tuple[str, str, dict]:
    """Kind, subject and template context of the email that tells an earner of a badge.
    An earner who has not chosen a password yet (`new_account`) gets the account-creation
    email, with the set-password link, in its place."""
    version = assertion.badge_template_version
    issuer = assertion.organization
    context = {
        "recipient_name": assertion.recipient_name,
        "to_email": assertion.recipient_email,
        "issuer_name": issuer.name,
        "badge_name": version.name,
        "badge_image_url": version.image.url if version.image else "",
        "activity_title": assertion.activity_title,
        "assertion_url": assertion.url,
        # Where the earner accepts or rejects it (signed in): the backpack's buttons.
        "backpack_url": f"{settings.SITE_URL}{reverse('backpack')}#{assertion.entity_id}",
        "expires_at": format_v1(assertion.expires_at, issuer.timezone)
        if assertion.expires_at
        else "",
    }
    if new_account:
        context["set_password_user_id"] = user.pk
    kind = EmailKind.ACCOUNT_CREATED if new_account else EmailKind.BADGE_AWARDED
    subject = f'{issuer.name} awarded you "{version.name}"'
    return kind, subject, context


def award_emails_queue(assertions: list[Assertion]) -> list:
    """Queue the award email of each badge (saved) in one statement, sent after commit
    100 per task; returns their
    EMAIL_QUEUED events, for the caller to save with its own."""
    accounts_load([assertion.earner for assertion in assertions])
    emails = []
    for assertion in assertions:
        user = assertion.earner.user
        kind, subject, context = award_email(
            assertion, user, new_account=not user.has_usable_password()
        )
        emails.append(
            OutboundEmail(
                kind=kind,
                to_email=assertion.recipient_email,
                subject=subject,
                context=context,
                assertion=assertion,
                user=user,
            )
        )
    emails_queue_many(emails)
    return [
        event(email.assertion, EventKind.EMAIL_QUEUED, email_id=email.pk, email_kind=email.kind)
        for email in emails
    ]


@transaction.atomic
def assertion_resend_email(*, email, actor=None):
    """Send a badge's email again (the badge or account-creation email it was sent).

    A copy is queued as a new outbox row, since a row is sent at most once. Resending
    costs no credit: the assignment was already paid for. Revoked badges get nothing.
    """
    assertion = email.assertion
    require_role(actor, assertion.organization, ASSIGN)
    if assertion.status == AssertionStatus.REVOKED:
        raise ConflictError("The badge is revoked; its email is not sent again.", code="revoked")
    copy = email_resend(email=email)
    event_record(assertion, EventKind.EMAIL_QUEUED, actor, email_id=copy.pk, resend_of=email.pk)
    return copy


@transaction.atomic
def assertion_resend_latest_email(*, assertion: Assertion, actor=None):
    """Send again the newest email a badge was sent (the award or account-creation
    email): a badge issued without one has nothing to resend (ConflictError)."""
    require_role(actor, assertion.organization, ASSIGN)
    latest = (
        OutboundEmail.objects.select_related("assertion__organization", "user")
        .filter(assertion=assertion, kind__in=[EmailKind.BADGE_AWARDED, EmailKind.ACCOUNT_CREATED])
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        raise ConflictError(
            "This badge was issued without an email, so there is none to send again.",
            code="never_emailed",
        )
    return assertion_resend_email(email=latest, actor=actor)
