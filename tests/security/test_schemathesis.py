"""Fuzzing /v2 and /api/v1 from their own OpenAPI document (/api/schema/) with schemathesis.

Every operation gets MAX_EXAMPLES generated requests (valid and invalid bodies, query
strings and headers), sent with an all-scopes OAuth2 token of the issuer whose objects
the path parameters name, in-process through the WSGI application. Each response must
not be a 5xx and must match the document: status code, content type, headers, body.

Path parameters are the issuer's real objects (tests/security/world.py) rather than
random strings, which would only ever reach the 404 branch. Nothing is excluded:
multipart bodies are generated too (schemathesis sends arbitrary bytes for file fields,
which the image validators refuse with a 400).
"""

from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from tests.api_v2.conftest import make_token
from tests.security.world import api_schema, make_world, path_parameters

# 56 operations x 20 = 1,120 cases at most (hypothesis stops early on an operation whose
# inputs it has exhausted); the last test checks the total is at least 1,000.
MAX_EXAMPLES = 20
ALL_SCOPES = "rw:profile rw:issuer rw:backpack"
# What "no 5xx, responses match the schema" means. Not run: schemathesis's
# positive_data_acceptance / negative_data_rejection, which expect every schema-valid body
# to succeed and every invalid one to fail, while the services refuse valid bodies on
# purpose (a template that has been awarded, an email with no account, no credits left)
# and DRF coerces scalars (`"reason": 0` is the text "0"): the schema cannot say either.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

# The coverage phase (every boundary and negative value of every parameter, about 5,500
# cases here) takes over four minutes; the suite runs the explicit examples and
# MAX_EXAMPLES fuzzed cases per operation instead. Run it locally by enabling it here.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(api_schema(), config=CONFIG)
application = WSGIHandler()
tried = {"cases": 0, "operations": set(), "phases": Counter()}


@pytest.fixture
def world(db):
    # As Django's test client does: the WSGI handler must not close the connection that
    # holds this test's transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        world = make_world("Fuzzed")
        yield world, make_token(world.owner, ALL_SCOPES)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema_and_never_5xx(case, world):
    world, token = world
    if case.path_parameters is not None:
        case.path_parameters = {
            **case.path_parameters,
            **path_parameters(case.operation.path, world),
        }
    tried["cases"] += 1
    meta = getattr(case, "meta", None) or getattr(case, "_meta", None)
    tried["phases"][str(meta.phase.name) if meta else "?"] += 1
    tried["operations"].add(case.operation.label)
    case.call_and_validate(
        app=application, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )


def test_at_least_1000_cases_were_tried():
    operations = len(list(schema.get_all_operations()))
    if len(tried["operations"]) < operations:
        pytest.skip("only part of the fuzzing ran (a -k selection)")
    print(f"schemathesis: {tried['cases']} cases over {operations} operations", tried["phases"])
    assert tried["cases"] >= 1000
