"""GET /api/v1/statistics: per organisation and per template, by month."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.models import EmailStatus, OutboundEmail
from earners.models import Earner
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.helpers import utc

pytestmark = pytest.mark.django_db

ZERO = dict.fromkeys(
    (
        "issued",
        "valid",
        "expired",
        "revoked",
        "emails_sent",
        "emails_failed",
        "earners_with_accounts",
    ),
    0,
)


@pytest.fixture
def activity(issuer, template):
    other = BadgeTemplateFactory(issuer=issuer, name="Other")
    # May 31st 23:30 UTC is June in Rome
    june = AssertionFactory(
        template=template,
        issued_on=utc(2024, 5, 31, 23, 30),
        recipient_email="a@example.org",
        notify=True,
    )
    AssertionFactory(
        template=template,
        issued_on=utc(2024, 6, 10, 9, 0),
        recipient_email="a@example.org",
        notify=True,
    )
    revoked = AssertionFactory(template=template, issued_on=utc(2024, 7, 1, 9, 0))
    assertion_revoke(assertion=revoked, notify=False)  # no revocation email in the counts
    AssertionFactory(
        template=other, issued_on=utc(2024, 7, 2, 9, 0), expires_at=utc(2024, 8, 1, 0, 0)
    )
    OutboundEmail.objects.filter(assertion=june).update(status=EmailStatus.SENT)
    OutboundEmail.objects.exclude(assertion=june).update(status=EmailStatus.FAILED)
    # a.example.org has an account (made by the award); the others' earners do not
    Earner.objects.exclude(email="a@example.org").update(user=None)
    return other


def test_statistics_per_organisation_template_and_month(api, issuer, template, activity):
    response = api.get("/api/v1/statistics")
    assert response.status_code == 200, response.content
    [organization] = response.json()["organizations"]
    assert organization["organization_id"] == issuer.entity_id
    assert organization["totals"] == {
        **ZERO,
        "issued": 4,
        "valid": 2,
        "expired": 1,
        "revoked": 1,
        "emails_sent": 1,
        "emails_failed": 1,
        "earners_with_accounts": 1,
    }
    months = {m["month"]: m for m in organization["by_month"]}
    assert list(months) == ["2024-06", "2024-07"]  # in Rome: no May
    assert months["2024-06"]["issued"] == 2
    assert months["2024-06"]["earners_with_accounts"] == 1
    assert months["2024-07"]["revoked"] == 1
    assert months["2024-07"]["expired"] == 1
    templates = {t["name"]: t for t in organization["templates"]}
    assert templates["Python"]["totals"]["issued"] == 3
    assert templates["Other"]["totals"]["expired"] == 1
    assert [m["month"] for m in templates["Other"]["by_month"]] == ["2024-07"]


def test_statistics_filters(api, issuer, template, activity):
    body = api.get(
        f"/api/v1/statistics?template={template.entity_id}&emitted_after=2024-06-01"
    ).json()
    [organization] = body["organizations"]
    assert [t["name"] for t in organization["templates"]] == ["Python"]
    assert organization["totals"]["issued"] == 3
    july = api.get("/api/v1/statistics?emitted_after=2024-07-01 00:00:00").json()
    assert july["organizations"][0]["totals"]["issued"] == 2
    assert api.get("/api/v1/statistics?emitted_after=soon").status_code == 400


def test_statistics_are_scoped(outsider_api, activity, other_issuer):
    [organization] = outsider_api.get("/api/v1/statistics").json()["organizations"]
    assert organization["organization_id"] == other_issuer.issuer.entity_id
    assert organization["totals"] == ZERO


def test_statistics_cost_a_fixed_number_of_queries(api, template, issuer):
    counts = []
    for n in (5, 50):
        for i in range(n):
            AssertionFactory(template=template, recipient_email=f"s{n}-{i}@example.org")
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/statistics").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert Assertion.objects.count() == 55
    UserFactory()  # unrelated users change nothing
