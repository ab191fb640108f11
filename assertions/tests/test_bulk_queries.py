"""The bulk path's statements do not grow with its rows: a regression to a query per row
fails here, cheaply, long before a benchmark would show it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.models import BatchStatus
from assertions.services import batch_assign, batch_create, batch_run
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
    # the run: its split into chunks, then each chunk's claim (a committed mark) and award
    assert big[1] <= 30, big


def test_each_chunk_adds_a_fixed_number_of_statements(settings):
    settings.ASSIGN_BATCH_CHUNK = 100
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)

    _, one_chunk = _queries_of_a_batch(template, _rows(100, "one"))
    _, three_chunks = _queries_of_a_batch(template, _rows(300, "three"))

    per_chunk = (three_chunks - one_chunk) / 2
    assert per_chunk == int(per_chunk)
    assert per_chunk <= 20, per_chunk


def test_an_assignment_done_in_the_request_costs_the_same_statements_for_1_and_100_earners():
    # given an issuer with credits (emails on: the ledger and the outbox are written too)
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)
    counts = []
    for n, prefix in ((1, "one"), (100, "hundred")):
        # when n earners are assigned in the request
        with CaptureQueriesContext(connection) as ctx:
            result = batch_assign(template=template, rows=_rows(n, prefix), activity_title="C")
        assert not result.queued
        assert result.batch.issued == n
        counts.append(len(ctx.captured_queries))
    # then both take the same bulk statements
    assert counts[0] == counts[1] <= 16, counts
