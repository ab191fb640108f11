"""Import from a live Badgr-compatible server: this very platform, through its /v2 API.

The old server and this one share the test database: the import makes new issuers
(owned by someone else than the old server's user), so the two never mix.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from oauth2_provider.models import get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionStatus
from core.models import OutboundEmail
from imports import badgr
from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient
from imports.models import LegacyKind, LegacyObject
from imports.tests.seed import seed
from issuers.models import CreditLedgerEntry, Issuer, IssuerMembership, Role
from templates_app.models import BadgeTemplate
from tests.api_v2.conftest import make_token

pytestmark = pytest.mark.django_db(transaction=True)

ISSUER_FIELDS = ("name", "email", "url", "description", "timezone")
TEMPLATE_FIELDS = (
    "name",
    "description",
    "kind",
    "criteria_url",
    "criteria_narrative",
    "tags",
    "alignments",
    "validity_amount",
    "validity_unit",
    "archived",
)
BADGE_FIELDS = (
    "recipient_email",
    "recipient_first_name",
    "recipient_last_name",
    "emitted_at",
    "expires_at",
    "status",
    "revoked_reason",
    "narrative",
    "evidence",
    "additional_details",
    "activity_title",
    "notes",
)


@pytest.fixture
def old(live_server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32", "::1/128"]  # the live server
    settings.ROOT_URLCONF = "tests.urls_media"  # the live server serves the badge images
    settings.SITE_URL = live_server.url  # where its /v2 says the images are
    ensure_public_client(get_application_model())
    server = seed(1000)
    server.url = live_server.url
    server.token = make_token(server.user)
    return server


@pytest.fixture
def newcomer():
    return UserFactory(email="new-owner@example.org")


def run(old, owner, **kwargs):
    client = BadgrClient(old.url, old.token, page_size=kwargs.pop("page_size", 100))
    return badgr_import(client=client, owner=owner, **kwargs)


def imported_issuer(source: Issuer) -> Issuer:
    return LegacyObject.objects.get(kind=LegacyKind.ISSUER, legacy_id=source.entity_id).issuer


def assert_same_as_old_server(old):
    """Every field the old server shows, compared object by object."""
    for source in old.issuers:
        copy = imported_issuer(source)
        assert copy.pk != source.pk
        assert {f: getattr(copy, f) for f in ISSUER_FIELDS} == {
            f: getattr(source, f) for f in ISSUER_FIELDS
        }
    templates = {}
    for source in old.templates:
        source.refresh_from_db()
        row = LegacyObject.objects.get(kind=LegacyKind.BADGECLASS, legacy_id=source.entity_id)
        copy = row.template
        templates[source.pk] = copy
        assert copy.issuer == imported_issuer(source.issuer)
        assert {f: getattr(copy, f) for f in TEMPLATE_FIELDS} == {
            f: getattr(source, f) for f in TEMPLATE_FIELDS
        }
        assert copy.versions.count() == 1
        assert copy.current_version.image_sha256 == source.current_version.image_sha256
        assert copy.current_version.image_thumbnail
    issuers = {source.pk: imported_issuer(source) for source in old.issuers}
    sources = Assertion.objects.filter(organization__in=old.issuers).order_by("pk")
    copies = {
        a.imp_legacy_id: a
        for a in Assertion.objects.exclude(organization__in=old.issuers).select_related(
            "badge_template__current_version", "earner"
        )
    }
    assert len(copies) == sources.count() == 1000
    for source in sources:
        copy = copies[source.entity_id]
        assert copy.imported
        assert copy.badge_template == templates[source.badge_template_id]
        assert copy.badge_template_version_id == copy.badge_template.current_version_id
        assert copy.organization_id == issuers[source.organization_id].pk
        assert {f: getattr(copy, f) for f in BADGE_FIELDS} == {
            f: getattr(source, f) for f in BADGE_FIELDS
        }, source.entity_id
        # Badgr's API gives no revocation date: none is invented here.
        assert copy.revoked_at is None
        assert copy.earner.email == source.recipient_email
        assert copy.earner.issuer_id == copy.organization_id
        assert copy.recipient_hash != source.recipient_hash  # salted afresh


def snapshot():
    """Every row the import wrote, with every column (updated_at included)."""
    return {
        "assertions": sorted(
            Assertion.objects.filter(imported=True).values_list(), key=lambda r: r[0]
        ),
        "issuers": sorted(Issuer.objects.values_list(), key=lambda r: r[0]),
        "legacy": LegacyObject.objects.count(),
        "templates": sorted(
            BadgeTemplate.objects.values_list(),
            key=lambda r: r[0],
        ),
    }


def test_everything_comes_over_with_every_field_and_a_second_run_changes_nothing(old, newcomer):
    started = time.monotonic()
    report = run(old, newcomer)
    seconds = time.monotonic() - started
    print(f"\nimported 2 issuers, 5 badge classes, 1000 badges in {seconds:.1f} s")

    assert report.errors == []
    assert report.counts_dict() == {
        "issuer": {"created": 2, "updated": 0, "unchanged": 0, "failed": 0},
        "badgeclass": {"created": 5, "updated": 0, "unchanged": 0, "failed": 0},
        "assertion": {"created": 1000, "updated": 0, "unchanged": 0, "failed": 0},
    }
    assert_same_as_old_server(old)
    copies = Assertion.objects.filter(imported=True)
    assert copies.filter(status=AssertionStatus.REVOKED).count() == 50
    assert copies.filter(status=AssertionStatus.INVALID).count() > 200
    assert copies.exclude(revoked_reason="").count() == 25
    # no email, no credit; the new issuers belong to the owner given
    assert OutboundEmail.objects.count() == 0
    assert CreditLedgerEntry.objects.count() == 0
    assert set(
        IssuerMembership.objects.filter(user=newcomer, role=Role.OWNER).values_list(
            "issuer__name", flat=True
        )
    ) == {"Old Academy", "Old Guild"}

    before = snapshot()
    started = time.monotonic()
    again = run(old, newcomer)
    print(f"second run (nothing to change) in {time.monotonic() - started:.1f} s")
    assert again.errors == []
    assert not again.changed
    assert again.counts["assertion"]["unchanged"] == 1000
    assert snapshot() == before


def test_a_run_that_dies_halfway_resumes_to_the_same_result(old, newcomer, monkeypatch):
    real = badgr.import_assertion_page
    pages = {"n": 0}

    def dies_on_the_seventh_page(*args, **kwargs):
        pages["n"] += 1
        if pages["n"] == 7:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(badgr, "import_assertion_page", dies_on_the_seventh_page)
    with pytest.raises(RuntimeError):
        run(old, newcomer, page_size=50)
    halfway = Assertion.objects.filter(imported=True).count()
    assert halfway == 6 * 50  # whole pages, nothing of the seventh

    monkeypatch.setattr(badgr, "import_assertion_page", real)
    report = run(old, newcomer, page_size=50)
    assert report.errors == []
    assert report.counts["assertion"]["unchanged"] == halfway
    assert report.counts["assertion"]["created"] == 1000 - halfway
    # the second issuer had not been reached
    assert report.counts["issuer"] == {"created": 1, "updated": 0, "unchanged": 1, "failed": 0}
    assert_same_as_old_server(old)


def test_the_command_killed_with_sigkill_then_run_again_gives_the_same_result(
    old, newcomer, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the command runs in another process, which needs a database server")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "badges_project.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "MEDIA_ROOT": str(tmp_path / "command-media"),
        "OUTBOUND_ALLOWED_NETWORKS": ",".join(settings.OUTBOUND_ALLOWED_NETWORKS),
    }
    command = [
        sys.executable,
        "manage.py",
        "import_badgr",
        f"--url={old.url}",
        f"--token={old.token}",
        f"--owner={newcomer.email}",
        "--page-size=25",
    ]
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    try:
        while Assertion.objects.filter(imported=True).count() < 100:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    halfway = Assertion.objects.filter(imported=True).count()
    assert 100 <= halfway < 1000
    assert halfway % 25 == 0  # whole pages only

    finish = subprocess.run(
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert finish.returncode == 0, finish.stdout + finish.stderr
    assert "Import finished." in finish.stdout
    assert f"{1000 - halfway:6} created" in finish.stdout
    assert_same_as_old_server(old)


def test_changes_on_the_old_server_update_the_copy_in_place(old, newcomer):
    run(old, newcomer)
    from assertions.services import assertion_revoke, assertion_update
    from templates_app.services import template_update

    badge = Assertion.objects.filter(organization=old.issuers[0], status="valid").first()
    assertion_update(assertion=badge, narrative="Corrected later")
    other = Assertion.objects.filter(organization=old.issuers[0], status="valid").last()
    assertion_revoke(assertion=other, reason="Cheated")
    template_update(template=old.templates[0], description="Now with more Python")

    report = run(old, newcomer)

    assert report.counts["assertion"]["updated"] == 2
    assert report.counts["badgeclass"]["updated"] == 1
    copy = Assertion.objects.get(imp_legacy_id=badge.entity_id)
    assert copy.narrative == "Corrected later"
    revoked = Assertion.objects.get(imp_legacy_id=other.entity_id)
    assert (revoked.status, revoked.revoked_reason) == ("revoked", "Cheated")
    template = LegacyObject.objects.get(legacy_id=old.templates[0].entity_id).template
    assert template.description == "Now with more Python"
    assert template.versions.count() == 2  # badges already imported keep version 1
    assert Assertion.objects.filter(imported=True).count() == 1000


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(old, newcomer):
    report = run(old, newcomer, dry_run=True)
    assert report.counts["assertion"]["created"] == 1000
    assert report.counts["issuer"]["created"] == 2
    assert not Assertion.objects.filter(imported=True).exists()
    assert not LegacyObject.objects.exists()


def test_only_the_issuers_asked_for_and_into_an_existing_issuer(old, newcomer):
    target = Issuer.objects.create(name="New home", email="home@example.org")
    report = run(old, newcomer, issuer_ids=[old.issuers[1].entity_id], into=target)
    assert report.errors == []
    assert report.counts["badgeclass"]["created"] == 2
    assert Assertion.objects.filter(organization=target).count() == 400
    assert not Issuer.objects.filter(name="Old Academy").exclude(pk=old.issuers[0].pk).exists()
