"""Status list indexes are handed out race-free, and a revocation racing a badge's first
download is never lost: real threads on PostgreSQL, each with its own connection."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from assertions.models import Assertion
from assertions.services import assertion_revoke
from conftest import services_required
from credentials import services, verify
from credentials.models import StatusEntry, StatusList

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("needs PostgreSQL")
        pytest.skip("concurrency is only meaningful on PostgreSQL")


def _in_threads(calls):
    def run(call):
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_first_downloads_get_distinct_indexes(make_badge):
    # given 20 badges, each downloaded for the first time by two clients at once
    badges = [make_badge() for _ in range(20)]
    calls = [(lambda b=b: services.status_entry_get_or_create(assertion=b).pk) for b in badges * 2]
    _in_threads(calls)
    # then each badge has one entry and no two share an index
    entries = list(StatusEntry.objects.all())
    assert len(entries) == 20
    assert len({(e.status_list_id, e.index) for e in entries}) == 20
    assert StatusList.objects.get().allocated == 20


def test_concurrent_allocations_on_a_nearly_full_list_never_collide(make_badge, issuer):
    # given a list of 24 entries and 24 badges downloaded at once, 8 at a time: the
    # random draws collide often, and the last ones must find the few free indexes
    StatusList.objects.create(issuer=issuer, number=1, size=24)
    badges = [make_badge() for _ in range(24)]
    calls = [(lambda b=b: services.status_entry_get_or_create(assertion=b).pk) for b in badges]
    _in_threads(calls[:8])
    _in_threads(calls[8:16])
    _in_threads(calls[16:])
    # then every index of the list is taken once, and nothing spilled into a second list
    assert sorted(StatusEntry.objects.values_list("index", flat=True)) == list(range(24))
    assert StatusList.objects.get(number=1).allocated == 24
    assert not StatusList.objects.filter(number=2).exists()


@pytest.mark.parametrize("attempt", range(5))
def test_a_revocation_racing_the_first_download_is_never_lost(make_badge, attempt):
    badge = make_badge()
    fresh = Assertion.objects.select_related(
        "organization", "badge_template_version__template"
    ).get(pk=badge.pk)
    results = _in_threads(
        [
            lambda: assertion_revoke(assertion=badge, reason="race"),
            lambda: services.credential_document(fresh),
        ]
    )
    entry = StatusEntry.objects.get(assertion=badge)
    assert entry.revoked, results
    token = services.signing.sign(
        results[1],
        services.signing_key(badge.organization)[1],
        services.documents.verification_method_id(badge.organization, "key-1"),
        "RS256",
    )
    assert verify.verify_input(token)[0].verdict == "invalid"
