import datetime as dt
import hashlib

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.tests.factories import UserFactory
from issuers.models import Invitation, Issuer, IssuerMembership, Role


class IssuerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issuer

    name = factory.Sequence(lambda n: f"Issuer {n}")
    email = factory.Sequence(lambda n: f"badges{n}@issuer.example")
    url = "https://issuer.example"
    timezone = "Europe/Rome"
    credit_balance = 0


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssuerMembership

    issuer = factory.SubFactory(IssuerFactory)
    user = factory.SubFactory(UserFactory, is_staff=True)
    role = Role.STAFF


def make_operator(user):
    """Grant `user` the operator permission, as a superuser does in the admin."""
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="issuers", codename="operate_platform")
    )
    user.__dict__.pop("_perm_cache", None)
    user.__dict__.pop("_user_perm_cache", None)
    return user


class OperatorFactory(UserFactory):
    """A platform operator who is not a superuser: the issuers.operate_platform
    permission, granted as an admin would (staff, to use the admin)."""

    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def operate_platform(self, create, extracted, **kwargs):
        if create:
            make_operator(self)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation, as if its email had gone out with `token`'s link."""

    class Meta:
        model = Invitation
        exclude = ("token",)

    issuer = factory.SubFactory(IssuerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.STAFF
    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
