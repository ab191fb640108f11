"""The emails that tell an earner of a badge, queued in the outbox (core.services) in the
transaction that awards it, and sent again on request."""

import datetime as dt
import zoneinfo
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from assertions import openbadges
from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.services.accounts import accounts_load
from assertions.services.events import event, event_record, events_save
from assertions.services.rows import email_message_clean
from core.emails import absolute_url, render_email
from core.exceptions import ConflictError
from core.i18n import format_day, language_or_default
from core.markdown import render_markdown
from core.models import EmailKind, OutboundEmail
from core.placeholders import markdown_escape, placeholders_fill
from core.services import email_resend, email_rows_queue, emails_queue_many
from earners.models import Earner
from issuers.models import Issuer
from issuers.permissions import ASSIGN, require_role


def _language(assertion: Assertion) -> str:
    """The earner's language, else the issuer's default, else the platform's."""
    earner = assertion.earner
    return language_or_default(earner.language, assertion.organization.language)


def _shared_context(version, issuer) -> dict:
    """The part of `badge_email_context` that is the same for every badge of `version`."""
    image = openbadges.png_image_url(version) or openbadges.file_url(version.image) or ""
    return {
        "issuer_name": issuer.name,
        "issuer_logo_url": openbadges.file_url(issuer.image) or "",
        "issuer_url": openbadges.issuer_url(issuer),
        "reply_to": issuer.email,
        "badge_name": version.name,
        "badge_image_url": image,
        "backpack_url": absolute_url(reverse("backpack")),
        "login_url": absolute_url(reverse("login")),
    }


def badge_email_context(assertion: Assertion, shared: dict | None = None) -> dict:
    """What every email about a badge shows, every address absolute (mail clients load
    nothing relative): the badge and its image, the issuer's name and logo; replies go
    to the issuer. `shared` remembers what badges of one version have in common, for a
    caller that makes many (an award of 10,000 made it 10,000 times)."""
    version = assertion.badge_template_version
    if shared is None:
        shared = {}
    if version.pk not in shared:
        shared[version.pk] = _shared_context(version, assertion.organization)
    context = shared[version.pk]
    zone = zoneinfo.ZoneInfo(assertion.organization.timezone)  # ZoneInfo keeps a cache
    return {
        **context,
        "recipient_name": assertion.recipient_name,
        "to_email": assertion.recipient_email,
        "activity_title": assertion.activity_title,
        "assertion_url": absolute_url(assertion.url),
        # Where the earner accepts or rejects it (signed in): the backpack's buttons.
        "backpack_url": f"{context['backpack_url']}#{assertion.entity_id}",
        # The day in the issuer's zone; the template writes it in the email's language.
        "expires_at": timezone.localtime(assertion.expires_at, zone).date().isoformat()
        if assertion.expires_at
        else "",
        "language": _language(assertion),
    }


def _placeholder_values(assertion: Assertion, context: dict) -> dict[str, str]:
    return {
        "earner.first_name": assertion.recipient_first_name,
        "earner.last_name": assertion.recipient_last_name,
        "earner.email": assertion.recipient_email,
        "badge.name": context["badge_name"],
        "badge.url": context["assertion_url"],
        "badge.expires": format_day(dt.date.fromisoformat(context["expires_at"]))
        if context["expires_at"]
        else "",
        "activity.title": assertion.activity_title,
        "issuer.name": context["issuer_name"],
    }


# The issuer's email template: an email with any of these is written in its language.
OWN_WORDS = ("email_greeting", "email_body", "email_closing", "email_subject")


def _own_words(assertion: Assertion, context: dict, message: str) -> str | None:
    """Put the issuer's own words (its email template) and the assignment's `message`
    in the context, placeholders filled; the subject they give, if any. Rendered here,
    in the email's language, so what is queued is what is sent (and previewed)."""
    issuer = assertion.organization
    values = _placeholder_values(assertion, context)
    if issuer.email_greeting:
        context["greeting"] = placeholders_fill(issuer.email_greeting, values)
    if issuer.email_body:
        body = placeholders_fill(issuer.email_body, values, escape=markdown_escape)
        context["intro_html"] = str(render_markdown(body))
        context["intro_text"] = placeholders_fill(issuer.email_body, values)
    if issuer.email_closing:
        context["closing"] = placeholders_fill(issuer.email_closing, values)
    if message:
        context["message_html"] = str(
            render_markdown(placeholders_fill(message, values, escape=markdown_escape))
        )
        context["message_text"] = placeholders_fill(message, values)
    if issuer.email_subject:
        return " ".join(placeholders_fill(issuer.email_subject, values).split())
    return None


def award_email(
    assertion: Assertion, user, *, new_account: bool, message: str = "", shared=None
) -> tuple[str, str, dict]:
    """Kind, subject and template context of the email that tells an earner of a badge.
    An earner who has not chosen a password yet (`new_account`) gets the account-creation
    email, with the set-password link, in its place. The issuer's email template and the
    assignment's `message` (Markdown, placeholders allowed) go in. `shared`: see
    `badge_email_context`."""
    if shared is None:
        shared = {}
    context = badge_email_context(assertion, shared)
    if new_account:
        context["set_password_user_id"] = user.pk
    kind = EmailKind.ACCOUNT_CREATED if new_account else EmailKind.BADGE_AWARDED
    issuer, language = assertion.organization, context["language"]
    if message or any(getattr(issuer, name) for name in OWN_WORDS):
        with translation.override(language):
            subject = _own_words(assertion, context, message) or _award_subject(context)
        return kind, subject, context
    # Without the issuer's own words, the subject is the same for every badge of the
    # version in one language: made once (switching language per email cost more).
    key = ("subject", assertion.badge_template_version_id, language)
    if key not in shared:
        with translation.override(language):
            shared[key] = _award_subject(context)
    return kind, shared[key], context


def _award_subject(context: dict) -> str:
    return _('%(issuer)s awarded you "%(badge)s"') % {
        "issuer": context["issuer_name"],
        "badge": context["badge_name"],
    }


def _badge_email(assertion: Assertion, kind: str, subject: str, **extra) -> OutboundEmail:
    """An unsaved outbox row about a badge; `subject` is formatted with `issuer` and
    `badge` in the email's language."""
    context = {**badge_email_context(assertion), **extra}
    with translation.override(context["language"]):
        subject = _(subject) % {"issuer": context["issuer_name"], "badge": context["badge_name"]}
    return OutboundEmail(
        kind=kind,
        to_email=assertion.recipient_email,
        subject=subject,
        context=context,
        assertion=assertion,
        user=assertion.earner.user,
    )


def revoked_email(assertion: Assertion) -> OutboundEmail:
    """The email that tells an earner their badge was revoked (unsaved)."""
    return _badge_email(
        assertion,
        EmailKind.BADGE_REVOKED,
        gettext_noop('%(issuer)s revoked your badge "%(badge)s"'),
        revoked_reason=assertion.revoked_reason,
    )


def expiring_email(assertion: Assertion) -> OutboundEmail:
    """The reminder that a badge expires soon (unsaved)."""
    return _badge_email(
        assertion,
        EmailKind.BADGE_EXPIRING,
        gettext_noop('Your badge "%(badge)s" expires soon'),
    )


def award_emails_queue(assertions: list[Assertion], *, message: str = "") -> list:
    """Queue the award email of each badge (saved) in one statement, sent after commit
    100 per task; returns their
    EMAIL_QUEUED events, for the caller to save with its own."""
    accounts_load([assertion.earner for assertion in assertions])
    emails, shared = [], {}
    for assertion in assertions:
        user = assertion.earner.user
        kind, subject, context = award_email(
            assertion,
            user,
            new_account=not user.has_usable_password(),
            message=message,
            shared=shared,
        )
        emails.append(
            {
                "kind": kind,
                "to_email": assertion.recipient_email,
                "subject": subject,
                "context": context,
                "assertion_id": assertion.pk,
                "user_id": user.pk,
            }
        )
    ids = email_rows_queue(emails)
    return [
        event(assertion, EventKind.EMAIL_QUEUED, email_id=pk, email_kind=email["kind"])
        for assertion, email, pk in zip(assertions, emails, ids, strict=True)
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
        raise ConflictError(_("The badge is revoked; its email is not sent again."), code="revoked")
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


PREVIEW_LINK = "/accounts/set-password/…/"


def award_email_preview(
    *,
    template,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    activity_title: str = "",
    expires_at=None,
    message: str = "",
    new_account: bool | None = None,
) -> dict:
    """The exact award email an earner would get now (subject, text, HTML), without
    saving anything: the issuer's email template and `message` filled in, in the
    earner's language. An earner without a password sees the account-creation email;
    its set-password link is only made when an email is sent. `new_account` True or
    False shows that kind of email whatever the address's account."""
    issuer = template.issuer
    version = template.current_version
    earner = Earner.objects.filter(issuer=issuer, email=email).select_related("user").first()
    user = earner.user if earner else User.objects.filter(email=email).first()
    assertion = Assertion(
        organization=issuer,
        badge_template=template,
        badge_template_version=version,
        earner=Earner(
            issuer=issuer, email=email, language=language or (earner and earner.language) or ""
        ),
        recipient_email=email,
        recipient_first_name=first_name,
        recipient_last_name=last_name,
        activity_title=activity_title,
        expires_at=expires_at,
    )
    if new_account is None:
        new_account = user is None or not user.has_usable_password()
    kind, subject, context = award_email(
        assertion, None, new_account=False, message=email_message_clean(message)
    )
    if new_account:
        kind = EmailKind.ACCOUNT_CREATED
        context["set_password_url"] = absolute_url(PREVIEW_LINK)
    row = OutboundEmail(kind=kind, to_email=email, subject=subject, context=context)
    subject, text, html = render_email(row)
    return {"kind": kind, "subject": subject, "text": text, "html": html, "to": email}


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
            _("This badge was issued without an email, so there is none to send again."),
            code="never_emailed",
        )
    return assertion_resend_email(email=latest, actor=actor)
