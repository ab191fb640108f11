import pytest

from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from issuers.services import issuer_create
from templates_app.tests.factories import BadgeTemplateFactory

SITE = "https://badges.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def issuer(db):
    return issuer_create(
        name="Acme Academy", email="badges@acme.example", url="https://acme.example"
    )


@pytest.fixture
def make_badge(issuer):
    def make(**fields):
        template = fields.pop("template", None) or BadgeTemplateFactory(issuer=issuer)
        badge = AssertionFactory(template=template, **fields)
        return Assertion.objects.select_related(
            "organization", "badge_template_version__template", "earner"
        ).get(pk=badge.pk)

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services do once their transaction commits (cache invalidation)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
