import factory

from earners.models import Earner
from issuers.tests.factories import IssuerFactory


class EarnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Earner

    issuer = factory.SubFactory(IssuerFactory)
    email = factory.Sequence(lambda n: f"earner{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
