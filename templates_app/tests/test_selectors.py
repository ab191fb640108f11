"""templates_app.selectors.template_for_user: one template, for whom may see it, read with
the caller's role in its issuer in one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core.exceptions import NotFoundError
from issuers.models import IssuerMembership, Role
from issuers.permissions import ASSIGN, forget_roles, has_role, require_role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.selectors import template_for_user
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as a new request has it: no role read yet."""
    forget_roles(user)
    return user


def test_a_member_gets_the_template_and_their_role_in_one_statement():
    # Given an owner of one issuer who is staff in another
    template = BadgeTemplateFactory()
    other = IssuerFactory()
    owner = MembershipFactory(issuer=template.issuer, role=Role.OWNER).user
    MembershipFactory(issuer=other, user=owner, role=Role.STAFF)
    user = _fresh(owner)
    # When they ask for the template, then act in its issuer
    with CaptureQueriesContext(connection) as ctx:
        found = template_for_user(user, template.entity_id)
        require_role(user, found.issuer, ASSIGN)
    # Then one statement answered both: the template and their role in its issuer
    assert found == template
    assert found.issuer == template.issuer
    assert found.current_version == template.current_version
    assert len(ctx.captured_queries) == 1
    # and their role in another issuer is still read, and is its own
    assert has_role(user, other, Role.STAFF)
    assert not has_role(user, other, Role.OWNER)


def test_a_template_of_an_issuer_they_are_not_in_or_hold_too_little_in_is_not_found():
    template = BadgeTemplateFactory()
    stranger = _fresh(MembershipFactory(role=Role.OWNER).user)
    staff = _fresh(MembershipFactory(issuer=template.issuer, role=Role.STAFF).user)
    # When someone of another issuer asks, and a staff member asks as an editor would
    with pytest.raises(NotFoundError):
        template_for_user(stranger, template.entity_id)
    with pytest.raises(NotFoundError):
        template_for_user(staff, template.entity_id, min_role=Role.EDITOR)
    # Then both are refused; the staff member still sees it as staff
    assert template_for_user(_fresh(staff), template.entity_id) == template
    with pytest.raises(NotFoundError):
        template_for_user(staff, template.entity_id + "\x00")


def test_a_role_changed_is_read_again_by_the_next_request():
    template = BadgeTemplateFactory()
    membership = MembershipFactory(issuer=template.issuer, role=Role.OWNER)
    user = _fresh(membership.user)
    template_for_user(user, template.entity_id)
    assert has_role(user, template.issuer, Role.OWNER)
    # When the role is lowered and the user makes another request
    IssuerMembership.objects.filter(pk=membership.pk).update(role=Role.STAFF)
    user = _fresh(user)
    found = template_for_user(user, template.entity_id)
    # Then the new role is the one checked
    assert not has_role(user, found.issuer, Role.OWNER)
    assert has_role(user, found.issuer, Role.STAFF)


def test_superusers_and_issuer_scoped_tokens_are_checked_as_before():
    template = BadgeTemplateFactory()
    other = BadgeTemplateFactory()
    root = _fresh(UserFactory(is_superuser=True))
    owner = MembershipFactory(issuer=template.issuer, role=Role.OWNER).user
    MembershipFactory(issuer=other.issuer, user=owner, role=Role.OWNER)
    # A superuser sees any template; a token for one issuer sees only that issuer's
    assert template_for_user(root, other.entity_id) == other
    limited = _fresh(owner)
    limited.token_issuer_ids = frozenset({template.issuer.entity_id})
    assert template_for_user(limited, template.entity_id) == template
    with pytest.raises(NotFoundError):
        template_for_user(limited, other.entity_id)
