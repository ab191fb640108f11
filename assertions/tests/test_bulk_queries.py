"""The bulk path's statements do not grow with its rows: a regression to a query per row
fails here, cheaply, long before a benchmark would show it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.models import BatchStatus
from assertions.services import batch_create, batch_run
from earners.services import earner_get_or_create
from issuers.services import credits_top_up
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite splits a bulk insert by its variable limit, so counts grow there",
    ),
]


def _rows(n: int, prefix: str) -> list[dict]:
    return [
        {"email": f"{prefix}{i}@learners.example", "first_name": "Ada", "last_name": f"L{i}"}
        for i in range(n)
    ]


def _queries_of_a_batch(template, rows) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as created:
        batch = batch_create(template=template, rows=rows, activity_title="Cohort")
    with CaptureQueriesContext(connection) as ran:
        batch = batch_run(batch_id=batch.pk)
    assert batch.status == BatchStatus.DONE
    assert batch.issued == len(rows)
    return len(created), len(ran)


def test_a_batch_costs_the_same_statements_for_10_and_for_200_earners(settings):
    settings.ASSIGN_BATCH_CHUNK = 500  # one chunk each
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)
    # in both, five earners exist already: new and existing earners' paths are taken
    for prefix in ("small", "big"):
        for row in _rows(5, prefix):
            earner_get_or_create(issuer=template.issuer, email=row["email"])

    small = _queries_of_a_batch(template, _rows(10, "small"))
    big = _queries_of_a_batch(template, _rows(200, "big"))

    assert big == small
    assert big[1] <= 25, big


def test_each_chunk_adds_a_fixed_number_of_statements(settings):
    settings.ASSIGN_BATCH_CHUNK = 100
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)

    _, one_chunk = _queries_of_a_batch(template, _rows(100, "one"))
    _, three_chunks = _queries_of_a_batch(template, _rows(300, "three"))

    per_chunk = (three_chunks - one_chunk) / 2
    assert per_chunk == int(per_chunk)
    assert per_chunk <= 20, per_chunk
