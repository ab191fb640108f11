"""Fixtures of the issuer's staff pages (the assign wizard, the workspace): an owner of an
issuer with credits, signed in, and one badge template. Test modules import them."""

import pytest

from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory


@pytest.fixture
def staff(client):
    membership = MembershipFactory(role=Role.OWNER, issuer__name="Demo Academy")
    credits_top_up(issuer=membership.issuer, amount=500)
    client.force_login(membership.user)
    return membership


@pytest.fixture
def issuer(staff):
    return staff.issuer


@pytest.fixture
def template(issuer):
    return BadgeTemplateFactory(issuer=issuer, name="Python Fundamentals")
