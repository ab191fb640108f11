import datetime as dt

import pytest
from django.utils import timezone

from assertions.models import AssertionStatus, EventKind
from assertions.services import (
    assertion_revoke,
    assertion_update,
    assertions_expire_due,
    assertions_revoke_many,
)
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from issuers.models import Role
from issuers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_update_corrects_names_without_reissuing_and_logs_the_change():
    badge = AssertionFactory(recipient_first_name="Jhon", recipient_last_name="Smith")
    updated = assertion_update(assertion=badge, recipient_first_name="John", notes="fixed typo")
    assert updated.pk == badge.pk
    assert updated.entity_id == badge.entity_id
    assert updated.recipient_first_name == "John"
    event = updated.events.get(kind=EventKind.UPDATED)
    assert event.payload["changes"] == {
        "recipient_first_name": ["Jhon", "John"],
        "notes": ["", "fixed typo"],
    }


def test_an_update_that_changes_nothing_logs_nothing():
    badge = AssertionFactory(recipient_first_name="Ann")
    assertion_update(assertion=badge, recipient_first_name="Ann")
    assert not badge.events.filter(kind=EventKind.UPDATED).exists()


def test_moving_the_expiry_into_the_past_invalidates_and_back_revalidates():
    badge = AssertionFactory(issued_on=timezone.now() - dt.timedelta(days=10))
    badge = assertion_update(assertion=badge, expires_at=timezone.now() - dt.timedelta(days=1))
    assert badge.status == AssertionStatus.INVALID
    badge = assertion_update(assertion=badge, expires_at=None)
    assert badge.status == AssertionStatus.VALID


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "expires_at"),
        ({"recipient_email": "x@y.org"}, "recipient_email"),
        ({"badge_template_version": None}, "badge_template_version"),
        ({"evidence": "not a list"}, "evidence"),
        ({"additional_details": "text"}, "additional_details"),
        ({"emitted_at": None}, "emitted_at"),
    ],
)
def test_update_refuses_bad_or_forbidden_changes(changes, field):
    badge = AssertionFactory()
    with pytest.raises(ApplicationError) as err:
        assertion_update(assertion=badge, **changes)
    assert field in err.value.field_errors
    badge.refresh_from_db()
    assert not badge.events.filter(kind=EventKind.UPDATED).exists()


def test_revoke_records_reason_and_time_once():
    badge = AssertionFactory()
    revoked, changed = assertion_revoke(assertion=badge, reason=" Cheated ")
    assert changed
    assert revoked.status == AssertionStatus.REVOKED
    assert revoked.revoked_reason == "Cheated"
    assert revoked.revoked_at is not None
    again, changed_again = assertion_revoke(assertion=badge, reason="Other")
    assert not changed_again
    assert again.revoked_reason == "Cheated"
    assert badge.events.filter(kind=EventKind.REVOKED).count() == 1


def test_revoke_reason_is_optional_for_one_badge():
    badge, _ = assertion_revoke(assertion=AssertionFactory())
    assert badge.status == AssertionStatus.REVOKED
    assert badge.revoked_reason == ""


def test_a_revoked_badge_cannot_be_updated():
    badge, _ = assertion_revoke(assertion=AssertionFactory(), reason="x")
    with pytest.raises(ConflictError, match="revoked"):
        assertion_update(assertion=badge, notes="sneaky")


def test_revoke_many_reports_each_item_and_hides_other_issuers_badges():
    staff = MembershipFactory(role=Role.STAFF)
    mine = AssertionFactory(template__issuer=staff.issuer)
    already, _ = assertion_revoke(assertion=AssertionFactory(template__issuer=staff.issuer))
    theirs = AssertionFactory()
    reason = "Course cancelled"
    outcomes = assertions_revoke_many(
        items=[
            (mine.entity_id, reason),
            (already.entity_id, reason),
            (theirs.entity_id, reason),
            ("missing", reason),
        ],
        actor=staff.user,
    )
    assert [(o.revoked, o.code) for o in outcomes] == [
        (True, ""),
        (False, "already_revoked"),
        (False, "not_found"),
        (False, "not_found"),
    ]
    theirs.refresh_from_db()
    assert theirs.status == AssertionStatus.VALID
    mine.refresh_from_db()
    assert mine.revoked_reason == "Course cancelled"


def test_revoke_many_needs_a_reason_per_item():
    badge = AssertionFactory()
    [outcome] = assertions_revoke_many(items=[(badge.entity_id, " ")])
    assert (outcome.revoked, outcome.code) == (False, "reason_required")
    badge.refresh_from_db()
    assert badge.status == AssertionStatus.VALID


def test_only_members_revoke_or_update():
    badge = AssertionFactory()
    outsider = MembershipFactory(role=Role.OWNER).user
    with pytest.raises(PermissionDeniedError):
        assertion_revoke(assertion=badge, actor=outsider)
    with pytest.raises(PermissionDeniedError):
        assertion_update(assertion=badge, actor=outsider, notes="x")


def test_expire_due_marks_passed_expiries_invalid_with_an_event():
    past = timezone.now() - dt.timedelta(days=30)
    due = AssertionFactory(issued_on=past, expires_at=past + dt.timedelta(days=1))
    # Issued valid, then time passed: simulate by storing it valid.
    type(due).objects.filter(pk=due.pk).update(status=AssertionStatus.VALID)
    later = AssertionFactory(expires_at=timezone.now() + dt.timedelta(days=30))
    assert assertions_expire_due() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == AssertionStatus.INVALID
    assert later.status == AssertionStatus.VALID
    assert due.events.filter(kind=EventKind.EXPIRED).count() == 1
    assert assertions_expire_due() == 0


def test_resend_queues_a_copy_and_logs_it_but_not_for_revoked_badges_or_outsiders(
    django_capture_on_commit_callbacks,
):
    from assertions.services import assertion_resend_email
    from core.models import OutboundEmail
    from issuers.services import credits_top_up

    staff = MembershipFactory(role=Role.STAFF)
    credits_top_up(issuer=staff.issuer, amount=5)
    badge = AssertionFactory(template__issuer=staff.issuer, notify=True)
    email = OutboundEmail.objects.get(assertion=badge)
    with django_capture_on_commit_callbacks(execute=True):
        copy = assertion_resend_email(email=email, actor=staff.user)
    assert copy.pk != email.pk
    assert badge.events.filter(kind=EventKind.EMAIL_QUEUED).count() == 2
    staff.issuer.refresh_from_db()
    assert staff.issuer.credit_balance == 4  # resending costs nothing more
    with pytest.raises(PermissionDeniedError):
        assertion_resend_email(email=email, actor=MembershipFactory(role=Role.OWNER).user)
    assertion_revoke(assertion=badge, reason="x")
    email.refresh_from_db()
    with pytest.raises(ConflictError, match="revoked"):
        assertion_resend_email(email=email, actor=staff.user)
