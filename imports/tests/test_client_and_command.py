"""The Badgr client and the command on bad input: one clear sentence, never a traceback."""

import os
import subprocess
import sys

import pytest
import responses
from django.conf import settings
from django.core.management import CommandError, call_command

from core.testing import PUBLIC_ADDRESS, fake_dns
from imports import badgr_client
from imports.badgr_client import BadgrAuthError, BadgrClient, BadgrError

OLD = "https://old.example.org"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(badgr_client, "BACKOFF", 0)


@pytest.fixture(autouse=True)
def _public_names(monkeypatch):
    """The old server and its CDNs resolve to a public address (`responses` answers)."""
    fake_dns(monkeypatch, {".example.org": PUBLIC_ADDRESS, ".example.net": PUBLIC_ADDRESS})


def envelope(result):
    return {"status": {"success": True, "description": "ok"}, "result": result}


@responses.activate
def test_pages_follow_the_link_header_cursors_until_there_is_no_next():
    url = f"{OLD}/v2/badgeclasses/B/assertions"
    responses.get(
        url,
        json=envelope([{"entityId": "1"}, {"entityId": "2"}]),
        headers={"Link": f'<{url}?num=2&after=Mg>; rel="next"'},
        match=[
            responses.matchers.query_param_matcher(
                {"num": "2", "include_revoked": "true", "include_expired": "true"}
            )
        ],
    )
    responses.get(
        url,
        json=envelope([{"entityId": "3"}]),
        headers={"Link": f'<{url}?num=2&before=Mw>; rel="prev"'},
        match=[responses.matchers.query_param_matcher({"num": "2", "after": "Mg"})],
    )
    client = BadgrClient(OLD, "tok", page_size=2)
    pages = list(client.assertion_pages("B"))
    assert [[a["entityId"] for a in page] for page in pages] == [["1", "2"], ["3"]]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok"


@responses.activate
def test_a_busy_server_is_asked_again_and_then_answers():
    responses.get(f"{OLD}/v2/issuers", status=503)
    responses.get(f"{OLD}/v2/issuers", status=429, headers={"Retry-After": "0"})
    responses.get(f"{OLD}/v2/issuers", json=envelope([{"entityId": "I"}]))
    assert BadgrClient(OLD, "tok").issuers() == [{"entityId": "I"}]
    assert len(responses.calls) == 3


@responses.activate
def test_a_server_down_for_good_is_a_clear_error_after_the_retries():
    responses.get(f"{OLD}/v2/issuers", status=502)
    with pytest.raises(BadgrError, match="answered HTTP 502"):
        BadgrClient(OLD, "tok", retries=2).issuers()
    assert len(responses.calls) == 3


@responses.activate
def test_a_bad_token_says_so():
    responses.get(f"{OLD}/v2/issuers", status=401, json={"status": {"success": False}})
    with pytest.raises(BadgrAuthError, match="refused the token"):
        BadgrClient(OLD, "wrong").check()


@responses.activate
def test_a_url_that_is_not_a_badgr_api_says_so():
    responses.get(f"{OLD}/v2/issuers", body="<html>Welcome</html>", content_type="text/html")
    with pytest.raises(BadgrError, match="did not answer with JSON"):
        BadgrClient(OLD + "/", "tok").check()


def test_urls_and_tokens_are_checked_before_anything_is_sent():
    with pytest.raises(BadgrError, match="not an http"):
        BadgrClient("old.example.org", "tok")
    with pytest.raises(BadgrAuthError, match="access token"):
        BadgrClient(OLD, " ")
    assert BadgrClient(OLD + "/v2/", "tok").base_url == OLD


@responses.activate
def test_the_token_is_not_sent_to_another_host_for_images():
    responses.get("https://cdn.example.net/b.png", body=b"PNG")
    assert BadgrClient(OLD, "tok").download("https://cdn.example.net/b.png") == b"PNG"
    assert "Authorization" not in responses.calls[0].request.headers


@pytest.mark.django_db
@responses.activate
def test_the_command_stops_with_one_sentence_on_a_bad_token():
    responses.get(f"{OLD}/v2/issuers", status=401)
    with pytest.raises(CommandError, match="refused the token"):
        call_command("import_badgr", url=OLD, token="wrong")


@pytest.mark.django_db
def test_the_command_names_an_unknown_owner():
    with pytest.raises(CommandError, match="no user nobody@example.org here"):
        call_command("import_badgr", url=OLD, token="t", owner="nobody@example.org")


def test_an_unreachable_server_exits_non_zero_with_a_sentence_and_no_traceback():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_badgr",
            "--url=http://127.0.0.1:9",  # discard port: nothing listens
            "--token=t",
            "--retries=0",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "badges_project.settings.test",
            # allowed, so that the connection is tried: it is refused by the port
            "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
        },
    )
    assert result.returncode != 0
    assert (
        "Could not fetch http://127.0.0.1:9/v2/issuers: the address is not allowed or did not "
        "answer. A server on a private network must be listed in OUTBOUND_ALLOWED_NETWORKS"
    ) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- the command against a server shaped like api.badgr.io ------------------------------------


def badgr_server(mock, png: bytes):
    """The JSON that Badgr itself answers, nulls and all."""
    issuer = {
        "entityType": "Issuer",
        "entityId": "IssuerBadgr00000000000",
        "openBadgeId": f"{OLD}/public/issuers/IssuerBadgr00000000000",
        "name": "Badgr Academy",
        "image": None,
        "email": "academy@example.org",
        "description": "Moved here",
        "url": "https://academy.example",
        "staff": [],
        "extensions": {},
        "badgrDomain": "badgr.com",
    }
    badgeclass = {
        "entityType": "BadgeClass",
        "entityId": "ClassBadgr000000000000",
        "issuer": issuer["entityId"],
        "name": "Python",
        "image": "https://media.example.net/uploads/badges/python.png",
        "description": "Writes Python",
        "criteriaUrl": None,
        "criteriaNarrative": "Pass the exam",
        "alignments": [
            {
                "targetName": "ESCO",
                "targetUrl": "https://esco.example/x",
                "targetDescription": None,
                "targetFramework": None,
                "targetCode": None,
            }
        ],
        "tags": ["python"],
        "expires": {"amount": 1, "duration": "years"},
        "extensions": {},
    }

    def assertion(n, **changes):
        return {
            "entityType": "Assertion",
            "entityId": f"Assertion{n:013d}",
            "badgeclass": badgeclass["entityId"],
            "issuer": issuer["entityId"],
            "recipient": {
                "identity": "sha256$abc",
                "hashed": True,
                "type": "email",
                "plaintextIdentity": f"earner{n}@example.org",
                "salt": "s",
            },
            "issuedOn": "2020-05-01T10:00:00Z",
            "narrative": None,
            "evidence": [{"url": "https://work.example/1", "narrative": None}] if n == 1 else [],
            "revoked": n == 2,
            "revocationReason": "Duplicate" if n == 2 else None,
            "acceptance": "Accepted",
            "expires": "2021-05-01T10:00:00Z" if n == 3 else None,
            "extensions": {},
            **changes,
        }

    hidden = assertion(4)
    hidden["recipient"] = {"identity": "sha256$abc", "hashed": True, "type": "email"}
    mock.get(f"{OLD}/v2/issuers", json=envelope([issuer]))
    mock.get(f"{OLD}/v2/issuers/{issuer['entityId']}/badgeclasses", json=envelope([badgeclass]))
    mock.get(
        f"{OLD}/v2/badgeclasses/{badgeclass['entityId']}/assertions",
        json=envelope([assertion(1), assertion(2), assertion(3), hidden]),
    )
    mock.get(badgeclass["image"], body=png, content_type="image/png")


@pytest.mark.django_db
def test_the_command_imports_badgr_json_lists_the_items_it_could_not_and_exits_non_zero():
    from io import StringIO

    from assertions.models import Assertion
    from core.testing import png_bytes
    from templates_app.models import BadgeTemplate

    out = StringIO()
    with responses.RequestsMock() as mock:
        badgr_server(mock, png_bytes())
        with pytest.raises(
            CommandError, match="1 problem\\(s\\), listed above \\(1 item\\(s\\) failed\\)"
        ):
            call_command("import_badgr", url=OLD, token="tok", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Import finished, with problems." in text
    assert "badges              3 created" in text
    assert "assertion Assertion0000000000004: The recipient's email is hashed" in text

    template = BadgeTemplate.objects.get(name="Python")
    assert (template.validity_amount, template.validity_unit) == (1, "years")
    assert template.alignments == [{"targetName": "ESCO", "targetUrl": "https://esco.example/x"}]
    badges = {a.imp_legacy_id: a for a in Assertion.objects.all()}
    assert badges["Assertion0000000000001"].evidence == [{"url": "https://work.example/1"}]
    assert badges["Assertion0000000000001"].expires_at is None  # Badgr's, not the default
    assert badges["Assertion0000000000002"].revoked_reason == "Duplicate"
    assert badges["Assertion0000000000003"].status == "invalid"


@pytest.mark.django_db
def test_a_dry_run_of_the_command_writes_nothing():
    from io import StringIO

    from assertions.models import Assertion
    from core.testing import png_bytes

    out = StringIO()
    with responses.RequestsMock() as mock:
        badgr_server(mock, png_bytes())
        with pytest.raises(CommandError):
            call_command(
                "import_badgr", url=OLD, token="tok", dry_run=True, stdout=out, stderr=StringIO()
            )
    assert "Dry run: nothing was written." in out.getvalue()
    assert "3 would be created" in out.getvalue()
    assert not Assertion.objects.exists()


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    from io import StringIO

    from imports.progress import TerminalProgress
    from imports.report import Report

    class Terminal(StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = TerminalProgress(screen)
    bar.add_total(4)
    bar.stage("Issuer A: Python")
    report = Report()
    report.add("assertion", "created", 250)
    bar.note(report)
    bar.advance(2)
    bar.close()
    last = screen.getvalue().split("\r")[-1]
    assert last.startswith("[" + "#" * 15 + "." * 15 + "] 2/4 badge classes · 250 badges")
    assert "Issuer A: Python" in last


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_found_by_the_sweep_and_finished():
    import datetime as dt

    from django.utils import timezone

    from assertions.models import Assertion
    from core.testing import png_bytes
    from imports.models import ImportRun, RunKind, RunStatus
    from imports.services import import_runs_resume_stale
    from issuers.tests.factories import IssuerFactory

    issuer = IssuerFactory()
    run = ImportRun.objects.create(
        kind=RunKind.BADGR,
        issuer=issuer,
        source_url=OLD,
        token="tok",
        status=RunStatus.RUNNING,
        total=1,
        processed=1,
    )
    ImportRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    fresh = ImportRun.objects.create(kind=RunKind.BADGR, issuer=issuer, source_url=OLD)

    with responses.RequestsMock() as mock:
        badgr_server(mock, png_bytes())
        assert import_runs_resume_stale() == 1  # tasks run inline in tests

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (run.total, run.processed) == (1, 1)  # counted afresh, not doubled
    assert run.token == ""
    assert Assertion.objects.filter(organization=issuer).count() == 3
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.PENDING  # not stale yet
