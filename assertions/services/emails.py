"""The emails that tell an earner of a badge, queued in the outbox (core.services) in the
transaction that awards it, and sent again on request."""

import zoneinfo
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assertions import openbadges
from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.services.accounts import accounts_load
from assertions.services.events import event, event_record, events_save
from core.emails import absolute_url
from core.exceptions import ConflictError
from core.i18n import language_or_default
from core.models import EmailKind, OutboundEmail
from core.services import email_resend, emails_queue_many
from issuers.models import Issuer
from issuers.permissions import ASSIGN, require_role


def _language(assertion: Assertion) -> str:
    """The earner's language, else the issuer's default, else the platform's."""
    earner = assertion.earner
    return language_or_default(earner.language, assertion.organization.language)


def badge_email_context(assertion: Assertion) -> dict:
    """What every email about a badge shows, every address absolute (mail clients load
    nothing relative): the badge and its image, the issuer's name and logo; replies go
    to the issuer."""
    version = assertion.badge_template_version
    issuer = assertion.organization
    image = openbadges.png_image_url(version) or openbadges.file_url(version.image) or ""
    return {
        "recipient_name": assertion.recipient_name,
        "to_email": assertion.recipient_email,
        "issuer_name": issuer.name,
        "issuer_logo_url": openbadges.file_url(issuer.image) or "",
        "issuer_url": openbadges.issuer_url(issuer),
        "reply_to": issuer.email,
        "badge_name": version.name,
        "badge_image_url": image,
        "activity_title": assertion.activity_title,
        "assertion_url": absolute_url(assertion.url),
        "backpack_url": absolute_url(reverse("backpack")),
        "login_url": absolute_url(reverse("login")),
        # The day in the issuer's zone; the template writes it in the email's language.
        "expires_at": timezone.localtime(assertion.expires_at, zoneinfo.ZoneInfo(issuer.timezone))
        .date()
        .isoformat()
        if assertion.expires_at
        else "",
        "language": _language(assertion),
    }


def award_email(assertion: Assertion, user, *, new_account: bool) -> tuple[str, str, dict]:
    """Kind, subject and template context of the email that tells an earner of a badge.
    An earner who has not chosen a password yet (`new_account`) gets the account-creation
    email, with the set-password link, in its place."""
    context = badge_email_context(assertion)
    if new_account:
        context["set_password_user_id"] = user.pk
    kind = EmailKind.ACCOUNT_CREATED if new_account else EmailKind.BADGE_AWARDED
    with translation.override(context["language"]):
        subject = _('%(issuer)s awarded you "%(badge)s"') % {
            "issuer": context["issuer_name"],
            "badge": context["badge_name"],
        }
    return kind, subject, context


def revoked_email(assertion: Assertion) -> OutboundEmail:
    """The email that tells an earner their badge was revoked (unsaved)."""
    context = badge_email_context(assertion)
    context["revoked_reason"] = assertion.revoked_reason
    with translation.override(context["language"]):
        subject = _('%(issuer)s revoked your badge "%(badge)s"') % {
            "issuer": context["issuer_name"],
            "badge": context["badge_name"],
        }
    return OutboundEmail(
        kind=EmailKind.BADGE_REVOKED,
        to_email=assertion.recipient_email,
        subject=subject,
        context=context,
        assertion=assertion,
        user=assertion.earner.user,
    )


def expiring_email(assertion: Assertion) -> OutboundEmail:
    """The reminder that a badge expires soon (unsaved)."""
    context = badge_email_context(assertion)
    with translation.override(context["language"]):
        subject = _('Your badge "%(badge)s" expires soon') % {"badge": context["badge_name"]}
    return OutboundEmail(
        kind=EmailKind.BADGE_EXPIRING,
        to_email=assertion.recipient_email,
        subject=subject,
        context=context,
        assertion=assertion,
        user=assertion.earner.user,
    )


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


REMINDER_BATCH = 500


@transaction.atomic
def expiry_reminders_queue(*, now=None) -> int:
    """Queue the reminder of each valid badge whose issuer asks for one
    (`expiry_reminder_days` > 0) and whose expiry is that close; once per badge (a badge
    that has a reminder in the outbox gets no other). Run by beat; concurrent runs skip
    each other's rows. Returns how many were queued."""
    now = now or timezone.now()
    # One condition per distance the issuers chose (a handful of values).
    distances = set(
        Issuer.objects.filter(expiry_reminder_days__gt=0).values_list(
            "expiry_reminder_days", flat=True
        )
    )
    if not distances:
        return 0
    close = Q()
    for days in distances:
        close |= Q(
            organization__expiry_reminder_days=days, expires_at__lte=now + timedelta(days=days)
        )
    reminded = OutboundEmail.objects.filter(assertion=OuterRef("pk"), kind=EmailKind.BADGE_EXPIRING)
    due = list(
        Assertion.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("organization", "badge_template_version", "earner__user")
        .filter(
            close,
            status=AssertionStatus.VALID,
            expires_at__gt=now,
            earner__isnull=False,
        )
        .exclude(recipient_email="")
        .exclude(Exists(reminded))[:REMINDER_BATCH]
    )
    if not due:
        return 0
    emails = emails_queue_many([expiring_email(assertion) for assertion in due])
    events_save(
        [
            event(email.assertion, EventKind.EMAIL_QUEUED, email_id=email.pk, email_kind=email.kind)
            for email in emails
        ]
    )
    return len(emails)
