import factory

from accounts.tests.factories import UserFactory
from issuers.models import Issuer, IssuerMembership, Role


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
