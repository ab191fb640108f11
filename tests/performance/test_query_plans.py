"""The lists `make bench BENCH_ARGS=--scale` times on 1,000,000 badges find their rows
through indexes: every statement they run is explained by PostgreSQL with sequential
scans priced out (`enable_seqscan = off`), and each scan of a large table must then be
an index scan whose index condition narrows the rows. A plan that can only filter a
whole table (or walk a whole index) is one that grows with the database, whatever
this small one says."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.tests.factories import AssertionFactory
from bench.scale_badges import list_urls
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import client_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
)

# The tables that grow with the badges: a scan of any of them must use an index.
LARGE = {
    "assertions_assertion",
    "assertions_assertionevent",
    "earners_earner",
    "core_outboxemail",
    "accounts_user",
}


def _scans(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def _unindexed(sql: str) -> list[str]:
    """The scans of large tables in `sql`'s plan that no index condition narrows."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(_scans(plan[0]["Plan"]))
    bad = []
    for node in nodes:
        table = node.get("Relation Name")
        if table not in LARGE:
            continue
        kind = node["Node Type"]
        if kind in ("Index Scan", "Index Only Scan") and "Index Cond" in node:
            continue
        if kind == "Bitmap Heap Scan":
            continue  # its Bitmap Index Scan children are checked below
        bad.append(f"{kind} on {table} ({node.get('Index Name', 'no index')})")
    for node in nodes:
        if node["Node Type"] == "Bitmap Index Scan" and "Index Cond" not in node:
            bad.append(f"Bitmap Index Scan without a condition ({node['Index Name']})")
    return bad


@pytest.fixture
def world(db):
    owner = MembershipFactory(role=Role.OWNER)
    issuer = owner.issuer
    template = BadgeTemplateFactory(issuer=issuer, name="Welding")
    badges = [
        AssertionFactory(template=template, actor=owner.user, activity_title="Welding course")
        for _ in range(3)
    ]
    other = MembershipFactory(role=Role.OWNER)  # rows of another issuer, to be told apart
    AssertionFactory(template=BadgeTemplateFactory(issuer=other.issuer), actor=other.user)
    batch = AssignmentBatch.objects.create(
        issuer=issuer,
        badge_template_version=template.current_version,
        status=BatchStatus.DONE,
        created_by=owner.user,
    )
    Assertion.objects.filter(pk=badges[0].pk).update(batch=batch)
    return owner, list_urls(issuer, template, badges[0], batch)


def test_every_scaled_list_finds_its_rows_through_an_index(world):
    owner, urls = world
    api = client_for(owner.user)
    problems = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url)
        # a deep page is past this small data set's end (its queries still ran)
        expected = (200, 404) if "page=" in url else (200,)
        assert response.status_code in expected, (name, response.content[:300])
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or not any(t in sql for t in LARGE):
                continue
            bad = _unindexed(sql)
            if bad:
                problems.setdefault(name, []).append((bad, sql[:400]))
    assert not problems, json.dumps(problems, indent=1)


def test_the_check_sees_a_statement_that_no_index_narrows(db):
    # the same walk over a statement that can only read the whole table
    assert _unindexed("SELECT id FROM assertions_assertion WHERE notes = 'x'")
    assert not _unindexed("SELECT id FROM assertions_assertion WHERE organization_id = 1")
