import factory

from core.testing import png_upload
from issuers.tests.factories import IssuerFactory
from templates_app import services
from templates_app.models import BadgeTemplate, Kind


class BadgeTemplateFactory(factory.django.DjangoModelFactory):
    """Built through `template_create`, so every template has its version 1."""

    class Meta:
        model = BadgeTemplate

    issuer = factory.SubFactory(IssuerFactory)
    name = factory.Sequence(lambda n: f"Badge {n}")
    description = "Shows a skill."
    kind = Kind.SKILLS
    criteria_url = "https://issuer.example/criteria"
    criteria_narrative = "Complete the course."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.setdefault("image", png_upload())
        return services.template_create(**kwargs)
