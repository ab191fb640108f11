import threading

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from conftest import services_required
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from issuers.exceptions import InsufficientCreditsError
from issuers.models import (
    CreditLedgerEntry,
    CreditReason,
    Invitation,
    Issuer,
    IssuerMembership,
    Role,
)
from issuers.services import (
    credits_refund,
    credits_reserve,
    credits_top_up,
    invitation_create,
    issuer_create,
    issuer_update,
    membership_add,
    membership_change_role,
    membership_remove,
)
from issuers.tests.factories import IssuerFactory, MembershipFactory, OperatorFactory

pytestmark = pytest.mark.django_db


def test_issuer_create_makes_the_creator_its_owner():
    user = OperatorFactory(is_staff=False)
    issuer = issuer_create(
        name=" Acme Academy ", email="Badges@Acme.org", actor=user, timezone="Europe/Rome"
    )
    assert issuer.name == "Acme Academy"
    assert issuer.email == "badges@acme.org"
    assert len(issuer.entity_id) == 22
    assert IssuerMembership.objects.get(issuer=issuer).role == Role.OWNER
    user.refresh_from_db()
    assert user.is_staff  # owners work in the admin


def test_issuer_create_names_bad_fields():
    with pytest.raises(ApplicationError) as err:
        issuer_create(name="", email="not-an-email", timezone="Mars/Base")
    assert set(err.value.field_errors) == {"name", "email", "timezone"}
    assert "Mars/Base" in err.value.field_errors["timezone"][0]
    assert not Issuer.objects.exists()


def test_only_an_owner_changes_the_issuer():
    membership = MembershipFactory(role=Role.EDITOR)
    with pytest.raises(PermissionDeniedError):
        issuer_update(issuer=membership.issuer, actor=membership.user, name="Mine now")
    owner = MembershipFactory(issuer=membership.issuer, role=Role.OWNER).user
    assert issuer_update(issuer=membership.issuer, actor=owner, name="Renamed").name == "Renamed"


def test_membership_add_refuses_a_second_membership_and_unknown_roles():
    issuer = IssuerFactory()
    user = UserFactory(is_staff=False)
    membership_add(issuer=issuer, user=user, role=Role.STAFF)
    user.refresh_from_db()
    assert user.is_staff  # members work in the admin
    with pytest.raises(ConflictError):
        membership_add(issuer=issuer, user=user, role=Role.EDITOR)
    with pytest.raises(ApplicationError, match="not a role"):
        membership_add(issuer=issuer, user=UserFactory(), role="boss")


def test_nobody_is_added_to_an_issuer_by_someone_else():
    # membership_add is the system's step: no caller can pass themselves as the actor
    owner = MembershipFactory(role=Role.OWNER)
    with pytest.raises(TypeError):
        membership_add(issuer=owner.issuer, user=UserFactory(), actor=owner.user)


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_staff_and_editors_cannot_invite(role):
    member = MembershipFactory(role=role)
    with pytest.raises(PermissionDeniedError):
        invitation_create(issuer=member.issuer, email="x@example.org", actor=member.user)
    assert not Invitation.objects.exists()


def test_the_last_owner_cannot_be_removed_or_demoted():
    owner = MembershipFactory(role=Role.OWNER)
    with pytest.raises(ConflictError, match="at least one owner"):
        membership_remove(membership=owner, actor=owner.user)
    with pytest.raises(ConflictError, match="at least one owner"):
        membership_change_role(membership=owner, role=Role.STAFF, actor=owner.user)
    second = MembershipFactory(issuer=owner.issuer, role=Role.OWNER)
    membership_change_role(membership=owner, role=Role.STAFF, actor=second.user)
    assert IssuerMembership.objects.get(pk=owner.pk).role == Role.STAFF


def test_top_up_reserve_refund_keep_the_ledger_equal_to_the_balance():
    issuer = IssuerFactory()
    credits_top_up(issuer=issuer, amount=10)
    entry = credits_reserve(issuer=issuer, amount=4)
    credits_refund(issuer=issuer, amount=1)
    issuer.refresh_from_db()
    assert issuer.credit_balance == 7
    assert entry.amount == -4
    assert entry.balance_after == 6
    assert entry.reason == CreditReason.ASSIGNMENT
    ledger = CreditLedgerEntry.objects.filter(issuer=issuer)
    assert sum(e.amount for e in ledger) == issuer.credit_balance
    assert ledger.first().balance_after == 7  # newest first


def test_reserve_is_all_or_nothing():
    issuer = IssuerFactory()
    credits_top_up(issuer=issuer, amount=3)
    with pytest.raises(InsufficientCreditsError, match="needs 5 and .* has 3") as err:
        credits_reserve(issuer=issuer, amount=5)
    assert err.value.status_code == 402
    issuer.refresh_from_db()
    assert issuer.credit_balance == 3
    assert CreditLedgerEntry.objects.filter(issuer=issuer).count() == 1


@pytest.mark.parametrize("amount", [0, -1, 1.5, "3", True, None])
def test_credit_amounts_must_be_positive_whole_numbers(amount):
    issuer = IssuerFactory()
    with pytest.raises(ApplicationError) as err:
        credits_top_up(issuer=issuer, amount=amount)
    assert "amount" in err.value.field_errors


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR, Role.OWNER])
def test_no_member_grants_credits_not_even_an_owner(role):
    member = MembershipFactory(role=role)
    with pytest.raises(PermissionDeniedError, match="operators"):
        credits_top_up(issuer=member.issuer, amount=5, actor=member.user)
    member.issuer.refresh_from_db()
    assert member.issuer.credit_balance == 0
    assert not CreditLedgerEntry.objects.exists()


@pytest.mark.parametrize("operator", ["permission", "superuser"])
def test_operators_grant_credits_to_any_issuer(operator):
    issuer = IssuerFactory()
    actor = OperatorFactory() if operator == "permission" else UserFactory(is_superuser=True)
    entry = credits_top_up(issuer=issuer, amount=5, actor=actor, note="Invoice 1")
    assert (entry.amount, entry.reason, entry.created_by) == (5, CreditReason.TOP_UP, actor)
    issuer.refresh_from_db()
    assert issuer.credit_balance == 5


def test_a_deactivated_operator_grants_nothing():
    actor = OperatorFactory(is_active=False)
    with pytest.raises(PermissionDeniedError):
        credits_top_up(issuer=IssuerFactory(), amount=5, actor=actor)


def test_the_database_refuses_a_negative_balance():
    issuer = IssuerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Issuer.objects.filter(pk=issuer.pk).update(credit_balance=-1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_reserving_at_once_never_overdraw():
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("this test needs PostgreSQL")
        pytest.skip("row locking is only meaningful on PostgreSQL")
    # given 10 credits
    issuer = IssuerFactory()
    credits_top_up(issuer=issuer, amount=10)
    barrier = threading.Barrier(20)
    outcomes = []

    def reserve():
        try:
            barrier.wait()
            credits_reserve(issuer=issuer, amount=1)
            outcomes.append("ok")
        except InsufficientCreditsError:
            outcomes.append("refused")
        finally:
            connection.close()

    # when 20 threads each reserve one at the same moment
    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly 10 succeed, the balance is 0 and the ledger adds up
    issuer.refresh_from_db()
    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 10
    assert issuer.credit_balance == 0
    assert (
        sum(CreditLedgerEntry.objects.filter(issuer=issuer).values_list("amount", flat=True)) == 0
    )
    assert sorted(
        CreditLedgerEntry.objects.filter(issuer=issuer, reason=CreditReason.ASSIGNMENT).values_list(
            "balance_after", flat=True
        )
    ) == list(range(10))
