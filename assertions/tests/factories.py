import factory

from assertions import services
from assertions.models import Assertion
from templates_app.tests.factories import BadgeTemplateFactory


class AssertionFactory(factory.django.DjangoModelFactory):
    """Issued through `assertion_issue` (no email, no credit unless notify=True)."""

    class Meta:
        model = Assertion

    template = factory.SubFactory(BadgeTemplateFactory)
    recipient_email = factory.Sequence(lambda n: f"recipient{n}@example.org")
    recipient_first_name = factory.Faker("first_name")
    recipient_last_name = factory.Faker("last_name")
    notify = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.assertion_issue(**kwargs).assertion
