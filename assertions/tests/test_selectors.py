"""assertions_keyed: a batch of idempotency keys or legacy ids, looked up by index."""

import pytest
from django.db import connection

from assertions.models import Assertion
from assertions.selectors import assertions_keyed
from assertions.tests.factories import AssertionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL query plan")
@pytest.mark.parametrize(
    ("field", "index"),
    [
        ("idempotency_key", "assertions_unique_idempotency_key"),
        ("imp_legacy_id", "assertions_unique_legacy_id"),
    ],
)
def test_a_chunk_of_500_values_is_looked_up_by_the_partial_unique_index(field, index):
    issuer = AssertionFactory().organization
    values = [f"batch:x:{i}" for i in range(500)]  # more than PostgreSQL's proof handles
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # so that the index is taken if usable
    plan = assertions_keyed(issuer, field, values).values_list(field, flat=True).explain()
    assert index in plan, plan


def test_only_the_issuers_badges_with_those_values_and_never_the_empty_one():
    keyed = AssertionFactory(idempotency_key="k-1")
    keyed.imp_legacy_id = "old-1"
    keyed.save(update_fields=["imp_legacy_id"])
    issuer = keyed.organization
    AssertionFactory(template=keyed.badge_template)  # neither key nor legacy id
    AssertionFactory(idempotency_key="k-1")  # another issuer's
    assert list(assertions_keyed(issuer, "idempotency_key", ["k-1", ""])) == [keyed]
    assert list(assertions_keyed(issuer, "imp_legacy_id", ["", "old-1"])) == [keyed]
    assert Assertion.objects.filter(organization=issuer, imp_legacy_id="").exists()
    assert not assertions_keyed(issuer, "imp_legacy_id", [""]).exists()
