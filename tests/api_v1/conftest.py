import datetime as dt
import itertools

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_application_model
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

READ_WRITE = "r:issuer rw:issuer"
_tokens = itertools.count()


def make_token(user, scope: str = READ_WRITE) -> str:
    """A bearer token for `user` (stored hashed by the settings; the raw value works)."""
    application, _ = get_application_model().objects.get_or_create(
        client_id="api-v1-tests",
        defaults={
            "name": "API v1 tests",
            "client_type": "confidential",
            "authorization_grant_type": "client-credentials",
            "user": user,
        },
    )
    raw = f"v1-token-{next(_tokens)}-{user.pk}"
    AccessToken.objects.create(
        user=user,
        application=application,
        token=raw,
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return raw


def client_for(user, scope: str = READ_WRITE) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scope)}")
    return client


@pytest.fixture
def owner(db):
    """An owner of an issuer in Rome with 50 credits."""
    membership = MembershipFactory(role=Role.OWNER, issuer__timezone="Europe/Rome")
    credits_top_up(issuer=membership.issuer, amount=50)
    return membership


@pytest.fixture
def issuer(owner):
    return owner.issuer


@pytest.fixture
def template(issuer):
    return BadgeTemplateFactory(issuer=issuer, name="Python")


@pytest.fixture
def api(owner):
    return client_for(owner.user)


@pytest.fixture
def staff(issuer):
    return MembershipFactory(issuer=issuer, role=Role.STAFF)


@pytest.fixture
def other_issuer(db):
    """Another organisation, with its owner."""
    return MembershipFactory(role=Role.OWNER, issuer__timezone="UTC")


@pytest.fixture
def outsider_api(other_issuer):
    return client_for(other_issuer.user)


@pytest.fixture
def user(db):
    return UserFactory()
