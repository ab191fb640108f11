import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from assertions.services import assertion_issue
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.models import EmailKind, EmailStatus, OutboundEmail
from earners.models import Earner
from issuers.exceptions import InsufficientCreditsError
from issuers.models import CreditLedgerEntry, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.services import template_archive, template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=100)
    return template


def issue(template, **kwargs):
    kwargs.setdefault("recipient_email", "ann@example.org")
    return assertion_issue(template=template, **kwargs)


def test_issue_records_every_open_badge_api_field(template):
    started = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    result = issue(
        template,
        recipient_email="Ann@Example.org",
        recipient_first_name="Ann",
        recipient_last_name="Lee",
        activity_title="Spring course",
        activity_started_at=started,
        activity_ended_at=started + dt.timedelta(days=5),
        notes="Top of the class",
        narrative="Built *three* projects.",
        evidence=[{"url": "https://example.org/work", "narrative": "Portfolio"}],
        additional_details={"grade": "A"},
        notify=False,
    )
    badge = result.assertion
    assert result.created
    assert badge.status == AssertionStatus.VALID
    assert not badge.imported
    assert badge.badge_template_version == template.current_version
    assert badge.organization == template.issuer
    assert badge.recipient_email == "ann@example.org"
    assert (badge.recipient_first_name, badge.recipient_last_name) == ("Ann", "Lee")
    assert badge.activity_title == "Spring course"
    assert badge.additional_details == {"grade": "A"}
    assert badge.evidence == [{"url": "https://example.org/work", "narrative": "Portfolio"}]
    assert badge.url.endswith(f"/public/assertions/{badge.entity_id}")
    assert badge.emitted_at <= timezone.now()
    assert badge.expires_at is None
    # Open Badges 2.0 hashed identity
    digest = hashlib.sha256(("ann@example.org" + badge.recipient_salt).encode()).hexdigest()
    assert badge.recipient_hash == f"sha256${digest}"
    assert list(badge.events.values_list("kind", flat=True)) == [EventKind.ISSUED]


def test_a_new_earner_gets_a_passwordless_account_and_the_account_creation_email(
    template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(
            template, recipient_email="new@example.org", recipient_first_name="Neo"
        ).assertion
    user = User.objects.get(email="new@example.org")
    assert not user.has_usable_password()
    assert badge.earner.user == user
    email = OutboundEmail.objects.get(assertion=badge)
    assert email.kind == EmailKind.ACCOUNT_CREATED
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["new@example.org"]
    assert template.name in sent.subject
    assert "/accounts/set-password/" in sent.body
    assert "/accounts/set-password/" in sent.alternatives[0][0]
    assert badge.url in sent.body
    kinds = list(badge.events.values_list("kind", flat=True))
    assert kinds == [EventKind.ISSUED, EventKind.EMAIL_QUEUED, EventKind.EMAILED]


def test_an_earner_with_an_account_gets_the_badge_email(
    template, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(template, recipient_email="KNOWN@example.org").assertion
    assert badge.earner.user == existing
    assert OutboundEmail.objects.get(assertion=badge).kind == EmailKind.BADGE_AWARDED
    assert "set-password" not in mail.outbox[0].body
    assert User.objects.filter(email="known@example.org").count() == 1


def test_the_set_password_link_sets_a_password_once(
    template, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issue(template, recipient_email="link@example.org")
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/set-password/" in w)
    path = link.split("127.0.0.1:8000", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-Good-passw0rd", "new_password2": "a-Good-passw0rd"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="link@example.org").check_password("a-Good-passw0rd")
    # the same link does not work a second time
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


def test_notify_charges_one_credit_and_a_silent_award_charges_none(template):
    issue(template, recipient_email="a@example.org", notify=True)
    issue(template, recipient_email="b@example.org", notify=False)
    template.issuer.refresh_from_db()
    assert template.issuer.credit_balance == 99
    assert OutboundEmail.objects.count() == 1


def test_without_credits_nothing_is_issued():
    template = BadgeTemplateFactory()
    with pytest.raises(InsufficientCreditsError):
        issue(template, recipient_email="poor@example.org", notify=True)
    assert not Assertion.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not Earner.objects.exists()
    assert not User.objects.filter(email="poor@example.org").exists()


def test_a_duplicate_award_is_refused_when_not_allowed(template):
    issue(template, notify=False)
    with pytest.raises(ConflictError) as err:
        issue(template, recipient_email="ANN@example.org", allow_duplicate=False)
    assert err.value.code == "duplicate_award"
    assert "recipient" in err.value.field_errors
    assert Assertion.objects.count() == 1
    # allowed by default (Badgr's allowDuplicateAwards defaults to true)
    issue(template, notify=False)
    assert Assertion.objects.count() == 2


def test_a_revoked_badge_does_not_count_as_a_duplicate(template):
    from assertions.services import assertion_revoke

    first = issue(template, notify=False).assertion
    assertion_revoke(assertion=first, reason="Mistake")
    assert issue(template, allow_duplicate=False, notify=False).created


def test_the_same_idempotency_key_returns_the_first_award_and_charges_once(template):
    first = issue(template, idempotency_key="req-1", notify=True)
    second = issue(template, idempotency_key="req-1", notify=True)
    assert first.created
    assert not second.created
    assert second.assertion.pk == first.assertion.pk
    template.issuer.refresh_from_db()
    assert template.issuer.credit_balance == 99
    assert OutboundEmail.objects.count() == 1


def test_expiry_defaults_to_the_templates_validity(template):
    template_update(template=template, validity_amount=2, validity_unit="years")
    issued = dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC)
    badge = issue(template, issued_on=issued, notify=False).assertion
    assert badge.expires_at == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    never = issue(
        template, recipient_email="b@example.org", expires_at=None, notify=False
    ).assertion
    assert never.expires_at is None
    explicit = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    given = issue(template, recipient_email="c@example.org", expires_at=explicit, notify=False)
    assert given.assertion.expires_at == explicit


def test_a_badge_issued_already_expired_is_invalid(template):
    badge = issue(
        template,
        issued_on=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
        notify=False,
    ).assertion
    assert badge.status == AssertionStatus.INVALID


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"recipient_email": "nope"}, "email"),
        ({"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "expires_at"),
        (
            {
                "activity_started_at": dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                "activity_ended_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            },
            "activity_ended_at",
        ),
        ({"evidence": [{"colour": "red"}]}, "evidence"),
        ({"evidence": [{}]}, "evidence"),
        ({"additional_details": ["x"]}, "additional_details"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(template, kwargs, field):
    with pytest.raises(ApplicationError) as err:
        issue(template, notify=True, **kwargs)
    assert field in err.value.field_errors
    assert not Assertion.objects.exists()
    assert CreditLedgerEntry.objects.filter(reason="assignment").count() == 0


def test_an_archived_template_cannot_be_awarded(template):
    template_archive(template=template)
    with pytest.raises(ApplicationError, match="archived"):
        issue(template, notify=False)


def test_only_members_of_the_issuer_award(template):
    outsider = MembershipFactory(role=Role.OWNER).user  # owner of another issuer
    with pytest.raises(PermissionDeniedError):
        issue(template, actor=outsider, notify=False)
    staff = MembershipFactory(issuer=template.issuer, role=Role.STAFF).user
    badge = issue(template, actor=staff, notify=False).assertion
    assert badge.created_by == staff
    assert AssertionEvent.objects.get(assertion=badge).actor == staff


def test_factory_awards_go_through_the_service():
    badge = AssertionFactory()
    assert badge.events.filter(kind=EventKind.ISSUED).exists()


def test_an_expired_earlier_award_is_not_a_duplicate(template):
    past = timezone.now() - dt.timedelta(days=400)
    issue(template, issued_on=past, expires_at=past + dt.timedelta(days=1), notify=False)
    assert issue(template, allow_duplicate=False, notify=False).created


def test_a_badge_cannot_be_issued_in_the_future(template):
    with pytest.raises(ApplicationError) as err:
        issue(template, issued_on=timezone.now() + dt.timedelta(days=1), notify=False)
    assert "issuedOn" in err.value.field_errors


def test_until_a_password_is_chosen_every_award_email_carries_the_set_password_link(template):
    issue(template, recipient_email="later@example.org", notify=True)
    issue(template, recipient_email="later@example.org", notify=True)
    kinds = list(OutboundEmail.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [EmailKind.ACCOUNT_CREATED, EmailKind.ACCOUNT_CREATED]
    user = User.objects.get(email="later@example.org")
    user.set_password("a-Chosen-passw0rd")
    user.save()
    issue(template, recipient_email="later@example.org", notify=True)
    assert OutboundEmail.objects.order_by("pk").last().kind == EmailKind.BADGE_AWARDED
    assert User.objects.filter(email="later@example.org").count() == 1
