"""issuers.selectors: the issuers a user may act in, as a queryset and as the keys and
time zones the large lists are scoped and filtered by."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from accounts.tests.factories import UserFactory
from issuers.models import Role
from issuers.selectors import issuer_ids_for_user, issuer_zones_for_user, issuers_for_user
from issuers.tests.factories import IssuerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _fresh(user, limited=None) -> User:
    """The user as a request sees it: read again, and marked by an issuer-scoped token."""
    user = User.objects.get(pk=user.pk)
    if limited is not None:
        user.token_issuer_ids = frozenset(limited)
    return user


def _same(user):
    ids = issuer_ids_for_user(user)
    expected = sorted(issuers_for_user(user).values_list("pk", flat=True))
    zones = sorted(set(issuers_for_user(user).values_list("timezone", flat=True)))
    return ids, expected, issuer_zones_for_user(user), zones


def test_the_keys_and_zones_are_those_of_the_issuers_a_member_may_act_in():
    # Given a member of two issuers (in two zones) among three, and an editor-only one
    rome = IssuerFactory(timezone="Europe/Rome")
    lima = IssuerFactory(timezone="America/Lima")
    IssuerFactory(timezone="Asia/Tokyo")
    person = UserFactory()
    MembershipFactory(issuer=rome, user=person, role=Role.OWNER)
    MembershipFactory(issuer=lima, user=person, role=Role.STAFF)
    # When their keys and zones are asked for, with every token and one limited to Lima
    ids, expected, zones, expected_zones = _same(_fresh(person))
    limited_ids, limited_expected, limited_zones, _ = _same(_fresh(person, [lima.entity_id]))
    # Then they are those of issuers_for_user, the token's limit included
    assert ids == expected == sorted([rome.pk, lima.pk])
    assert zones == expected_zones == ["America/Lima", "Europe/Rome"]
    assert limited_ids == limited_expected == [lima.pk]
    assert limited_zones == ["America/Lima"]
    # and a role above staff narrows the keys as it narrows the queryset
    assert issuer_ids_for_user(_fresh(person), Role.OWNER) == [rome.pk]


def test_a_superuser_is_not_narrowed_unless_the_token_is():
    # Given two issuers and a superuser member of neither
    first, second = IssuerFactory(), IssuerFactory()
    root = UserFactory(is_superuser=True)
    # When the keys are asked for with every token, and with one limited to the first
    # Then none narrows the rows (every issuer), and the limited token only its issuer
    assert issuer_ids_for_user(_fresh(root)) is None
    assert issuer_ids_for_user(_fresh(root, [first.entity_id])) == [first.pk]
    assert second.pk not in issuers_for_user(_fresh(root, [first.entity_id])).values_list(
        "pk", flat=True
    )


def test_nobody_and_a_person_without_memberships_get_no_issuer():
    IssuerFactory()
    assert issuer_ids_for_user(AnonymousUser()) == []
    assert issuer_ids_for_user(None) == []
    assert issuer_ids_for_user(_fresh(UserFactory())) == []
    assert issuer_zones_for_user(_fresh(UserFactory())) == []
