"""Issue 26, point 5: with a replica configured, public pages, documents, exports and
statistics read from it; who is asking, and a request that wrote, read the primary."""

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from core.db_router import ReplicaReadsMiddleware
from core.models import IdempotencyRecord
from core.queries import unique_compiled
from earners.models import Earner
from earners.tests.factories import EarnerFactory
from issuers.models import Role
from issuers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]


class Reads:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self.contexts = {a: CaptureQueriesContext(connections[a]) for a in ("default", "replica")}
        for context in self.contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.contexts.values():
            context.__exit__(*exc)

    def touching(self, alias: str, table: str) -> list[str]:
        return [q["sql"] for q in self.contexts[alias].captured_queries if table in q["sql"]]


def test_public_pages_and_documents_read_from_the_replica(client, replica):
    assertion = AssertionFactory()
    path = f"/public/assertions/{assertion.entity_id}"
    for url, accept in ((path, "text/html"), (f"{path}.json", "*/*"), (f"{path}/image", "*/*")):
        with Reads() as reads:
            response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, url
        assert reads.touching("replica", "assertions_assertion"), url
        assert not reads.touching("default", "assertions_assertion"), url


def test_without_the_router_everything_reads_the_primary(client):
    assertion = AssertionFactory()
    with Reads() as reads:
        assert client.get(f"/public/assertions/{assertion.entity_id}.json").status_code == 200
    assert reads.touching("default", "assertions_assertion")
    assert not reads.contexts["replica"].captured_queries


def test_an_export_streams_from_the_replica_and_the_session_user_from_the_primary(client, replica):
    membership = MembershipFactory(role=Role.OWNER)
    AssertionFactory.create_batch(3, template__issuer=membership.issuer)
    client.force_login(membership.user)
    with Reads() as reads:
        response = client.get("/api/v1/badges/export?format=csv")
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert body.count(b"\n") >= 4
    assert reads.touching("replica", "assertions_assertion")
    assert not reads.touching("default", "assertions_assertion")
    # who is asking comes from the primary: a session made a moment ago is found
    assert reads.touching("default", "django_session")
    assert reads.touching("default", "accounts_user")
    assert not reads.touching("replica", "django_session")


def test_other_requests_read_the_primary(client, replica):
    membership = MembershipFactory(role=Role.OWNER)
    AssertionFactory(template__issuer=membership.issuer)
    client.force_login(membership.user)
    with Reads() as reads:
        assert client.get("/api/v1/badges").status_code == 200
    assert reads.touching("default", "assertions_assertion")
    assert not reads.contexts["replica"].captured_queries


def test_a_request_that_wrote_reads_its_own_write_from_the_primary(replica):
    # given a replica-read request whose view writes, then reads
    user = UserFactory()
    seen = []

    def view(request):
        assert Assertion.objects.count() == 0  # before writing: the replica
        IdempotencyRecord.objects.create(user=user, key="k", fingerprint="f")
        seen.append(IdempotencyRecord.objects.filter(key="k").exists())
        return HttpResponse("ok")

    with Reads() as reads:
        ReplicaReadsMiddleware(view)(RequestFactory().get("/public/anything"))
    # then the read after the write went to the primary, and found it
    assert seen == [True]
    assert reads.touching("replica", "assertions_assertion")
    assert reads.touching("default", 'FROM "core_idempotencyrecord"')
    assert not reads.touching("replica", "core_idempotencyrecord")


def _earner_locked(issuer_id, email):
    return Earner.objects.select_for_update(of=("self",)).filter(issuer_id=issuer_id, email=email)


def test_a_compiled_lookup_that_locks_counts_as_a_write_as_the_orms_does(replica):
    # Given a request whose reads go to the replica, locking an earner as an award does
    earner = EarnerFactory()
    found = []

    def view(request):
        for _ in range(2):  # compiled at the first call, reused at the second
            with transaction.atomic():
                found.append(unique_compiled(_earner_locked, earner.issuer_id, earner.email))
        found.append(Assertion.objects.count())  # after the lock, outside its transaction
        return HttpResponse("ok")

    with Reads() as reads:
        ReplicaReadsMiddleware(view)(RequestFactory().get("/public/anything"))
    # Then the locks went to the primary, and the request reads its own writes from
    # there afterwards, as after the ORM's locking query (select_for_update is a write)
    assert found == [earner, earner, 0]
    assert len([q for q in reads.touching("default", "earners_earner") if "FOR UPDATE" in q]) == 2
    assert not reads.touching("replica", "earners_earner")
    assert reads.touching("default", "assertions_assertion")
    assert not reads.touching("replica", "assertions_assertion")
