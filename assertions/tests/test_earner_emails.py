"""The emails about a badge after it is awarded: revocation (on unless turned off) and
the expiry reminder (once, where the issuer asks for it); and their language."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from assertions.services import assertion_revoke, expiry_reminders_queue
from assertions.tests.factories import AssertionFactory
from core.models import EmailKind, OutboundEmail
from earners.models import Earner

pytestmark = pytest.mark.django_db


def test_revoking_emails_the_earner_unless_turned_off(django_capture_on_commit_callbacks):
    told, silent = AssertionFactory(), AssertionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assertion_revoke(assertion=told, reason="Issued by mistake")
        assertion_revoke(assertion=silent, reason="Duplicate", notify=False)
    assert [m.to for m in mail.outbox] == [[told.recipient_email]]
    assert "Issued by mistake" in mail.outbox[0].body
    assert mail.outbox[0].reply_to == [told.organization.email]
    assert not OutboundEmail.objects.filter(assertion=silent).exists()


def test_the_expiry_reminder_goes_once_and_only_where_the_issuer_asks():
    soon = timezone.now() + dt.timedelta(days=5)
    asked = AssertionFactory(expires_at=soon)
    asked.organization.expiry_reminder_days = 7
    asked.organization.save()
    not_yet = AssertionFactory(
        template=asked.badge_template, expires_at=soon + dt.timedelta(days=5)
    )
    not_asked = AssertionFactory(expires_at=soon)
    assert expiry_reminders_queue() == 1
    assert expiry_reminders_queue() == 0  # once per badge
    reminded = OutboundEmail.objects.filter(kind=EmailKind.BADGE_EXPIRING)
    assert list(reminded.values_list("assertion", flat=True)) == [asked.pk]
    assert not_yet.pk != asked.pk
    assert not_asked.organization.expiry_reminder_days == 0


def test_emails_are_in_the_earners_language_else_the_issuers(
    django_capture_on_commit_callbacks,
):
    italian = AssertionFactory()
    Earner.objects.filter(pk=italian.earner_id).update(language="it")
    by_issuer = AssertionFactory()
    by_issuer.organization.language = "it"
    by_issuer.organization.save()
    english = AssertionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for badge in (italian, by_issuer, english):
            badge.refresh_from_db()
            assertion_revoke(assertion=badge, reason="x")
    texts = {m.to[0]: m.body for m in mail.outbox}
    assert "ha revocato" in texts[italian.recipient_email]
    assert "ha revocato" in texts[by_issuer.recipient_email]
    assert "has revoked" in texts[english.recipient_email]


def test_an_assignment_row_gives_the_earner_a_language_and_its_email(
    django_capture_on_commit_callbacks,
):
    from assertions.services import batch_assign
    from issuers.services import credits_top_up
    from templates_app.tests.factories import BadgeTemplateFactory

    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=5)
    rows = [
        {"email": "anna@example.it", "first_name": "Anna", "last_name": "Rossi", "language": "it"},
        {"email": "bob@example.org", "first_name": "Bob", "last_name": "Lee"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch_assign(template=template, rows=rows)
    assert Earner.objects.get(email="anna@example.it").language == "it"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "ti ha assegnato" in subjects["anna@example.it"]
    assert "awarded you" in subjects["bob@example.org"]
