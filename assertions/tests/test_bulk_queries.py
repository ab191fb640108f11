"""The bulk path's statements do not grow with its rows: a regression to a query per row
fails here, cheaply, long before a benchmark would show it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.models import BatchStatus
from assertions.services import batch_assign, batch_create, batch_run
from core.inserts import COPY_FROM
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


# From COPY_FROM rows on, the badges, their events and their emails go in by COPY, each
# with the draw of its keys before it: three statements more, whatever the number of rows.
# (An award makes two events per badge: below COPY_FROM / 2 badges none goes by COPY.)
BY_COPY = 3
FEW = COPY_FROM // 2 - 1


def test_a_batch_costs_the_same_statements_whatever_its_earners(settings):
    settings.ASSIGN_BATCH_CHUNK = 1_000  # one chunk each
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=2_000)
    # in each, five earners exist already: new and existing earners' paths are taken
    sizes = {"few": 10, "fewer-than-copy": FEW, "copy": COPY_FROM, "many": 400}
    for prefix in sizes:
        for row in _rows(5, prefix):
            earner_get_or_create(issuer=template.issuer, email=row["email"])

    counts = {
        prefix: _queries_of_a_batch(template, _rows(n, prefix)) for prefix, n in sizes.items()
    }

    assert counts["few"] == counts["fewer-than-copy"]
    assert counts["copy"] == counts["many"]
    assert counts["many"] == (counts["few"][0], counts["few"][1] + BY_COPY)
    # the run: the look at the bulk tables' statistics (core.analyze), its split into
    # chunks, then each chunk's claim (a committed mark) and award
    assert counts["many"][1] <= 33, counts


def test_each_chunk_adds_a_fixed_number_of_statements(settings):
    settings.ASSIGN_BATCH_CHUNK = 100
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)

    _, one_chunk = _queries_of_a_batch(template, _rows(100, "one"))
    _, three_chunks = _queries_of_a_batch(template, _rows(300, "three"))

    per_chunk = (three_chunks - one_chunk) / 2
    assert per_chunk == int(per_chunk)
    assert per_chunk <= 17 + BY_COPY, per_chunk  # its rows go in by COPY


def test_an_assignment_done_in_the_request_costs_the_same_statements_for_1_and_100_earners():
    # given an issuer with credits (emails on: the ledger and the outbox are written too)
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1_000)
    counts = []
    for n, prefix in ((1, "one"), (FEW, "fewer"), (COPY_FROM, "copy")):
        # when n earners are assigned in the request
        with CaptureQueriesContext(connection) as ctx:
            result = batch_assign(template=template, rows=_rows(n, prefix), activity_title="C")
        assert not result.queued
        assert result.batch.issued == n
        counts.append(len(ctx.captured_queries))
    # then the same bulk statements, and three more by COPY from COPY_FROM rows on
    assert counts[0] == counts[1] <= 16, counts
    assert counts[2] == counts[0] + BY_COPY, counts
