"""issuers.selectors: the issuers a user may act in, as a queryset, as the keys and time
zones the large lists are scoped and filtered by, and one by its id with the role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.exceptions import NotFoundError
from issuers.models import Role
from issuers.permissions import require_role
from issuers.selectors import (
    issuer_for_user,
    issuer_ids_for_user,
    issuer_zones_for_user,
    issuers_for_user,
)
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


def _found(user, entity_id, min_role=Role.STAFF):
    try:
        return issuer_for_user(user, entity_id, min_role)
    except NotFoundError:
        return None


def test_issuer_for_user_finds_what_issuers_for_user_has_for_every_kind_of_user():
    # Given two issuers, people holding each role in the first, a superuser
    first, second = IssuerFactory(), IssuerFactory()
    people = {role: MembershipFactory(issuer=first, role=role).user for role in Role}
    root = UserFactory(is_superuser=True)
    callers = [
        *(_fresh(person) for person in people.values()),
        _fresh(people[Role.OWNER], limited=[second.entity_id]),
        _fresh(root),
        _fresh(root, limited=[first.entity_id]),
        _fresh(UserFactory()),
        AnonymousUser(),
        None,
    ]
    for caller in callers:
        for min_role in Role:
            for issuer in (first, second):
                # When one issuer is asked for with the role needed
                found = _found(caller, issuer.entity_id, min_role)
                # Then it is there exactly when the list of their issuers has it
                listed = issuers_for_user(caller, min_role).filter(pk=issuer.pk).exists()
                assert (found == issuer) is listed, (caller, min_role, issuer)
                assert found is None or found == issuer
    assert _found(_fresh(root), first.entity_id + "\x00") is None


def test_a_members_issuer_and_role_are_one_statement_and_the_role_is_not_read_again():
    issuer = IssuerFactory()
    owner = _fresh(MembershipFactory(issuer=issuer, role=Role.OWNER).user)
    with CaptureQueriesContext(connection) as ctx:
        found = issuer_for_user(owner, issuer.entity_id)
        require_role(owner, found, Role.OWNER)
    assert found == issuer
    assert len(ctx.captured_queries) == 1
