import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_application_model
from rest_framework.test import APIClient

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

ALL_SCOPES = "rw:profile rw:issuer rw:backpack"


def make_token(user, scope=ALL_SCOPES, *, expired=False) -> str:
    application = ensure_public_client(get_application_model())
    raw = f"tok-{user.pk}-{scope.replace(':', '').replace(' ', '-')}-{expired}"
    AccessToken.objects.create(
        user=user,
        application=application,
        token=raw,
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=-1 if expired else 1),
    )
    return raw


def client_for(user, scope=ALL_SCOPES) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scope)}")
    return client


@pytest.fixture
def owner(db):
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=50)
    return membership


@pytest.fixture
def template(owner):
    return BadgeTemplateFactory(issuer=owner.issuer, name="Python")


@pytest.fixture
def api(owner):
    return client_for(owner.user)


@pytest.fixture
def outsider_api(db):
    """A member (owner) of another issuer."""
    return client_for(MembershipFactory(role=Role.OWNER).user)


@pytest.fixture
def user(db):
    return UserFactory()
