"""Finding 4 of issue 17: server-side request forgery.

The Badgr import fetched `http://127.0.0.1:<port>` and any image URL the remote JSON
named, and open and closed ports answered differently, so it scanned ports. Every URL
the server fetches now goes through core.http: a Badgr server typed on the import page
or given to the command, the images its JSON names, hosted Open Badges 2.0 badges
imported by an issuer or added to an earner's backpack, their badge class images, and
wherever any of them redirects. A private target is refused before anything connects,
with one sentence whatever listens there. These run with OUTBOUND_ALLOWED_NETWORKS empty,
as in production.
"""

import pytest
import responses
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from core.testing import (
    PUBLIC_ADDRESS,
    TcpServer,
    fake_dns,
    free_port,
    record_connections,
)
from imports import badgr_client
from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient
from imports.documents import Document, documents_import
from imports.models import ImportRun, RunKind, RunStatus
from imports.tasks import run_badgr_import
from issuers.models import Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.models import BadgeTemplate

pytestmark = pytest.mark.django_db

# An open port that answers like a web server, to be told apart from a closed one.
HTTP_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
OLD = "https://old.example.org"


def refusal(url: str) -> str:
    return f"Could not fetch {url}: the address is not allowed or did not answer."


@pytest.fixture(autouse=True)
def _strict(settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    monkeypatch.setattr(badgr_client, "BACKOFF", 0)  # the old code's retries, without waiting


@pytest.fixture
def opened(monkeypatch):
    """Where anything connected to (nothing outside loopback is really reached)."""
    return record_connections(monkeypatch)


@pytest.fixture
def listening():
    with TcpServer(HTTP_ANSWER) as server:
        yield server


def envelope(result):
    return {"status": {"success": True, "description": "ok"}, "result": result}


# --- the Badgr import: loopback, open or closed, reads the same ------------------------------


def test_the_import_page_refuses_loopback_alike_open_or_closed_and_connects_to_nothing(
    client, listening, django_capture_on_commit_callbacks
):
    # given an editor, a port where something answers and one where nothing listens
    editor = MembershipFactory(role=Role.EDITOR)
    client.force_login(editor.user)
    pages = {}
    for url in (listening.url, f"http://127.0.0.1:{free_port()}"):
        # when each is given as the old server
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/issuers/{editor.issuer.entity_id}/import/badgr", {"url": url, "token": "t"}
            )
        pages[url] = response
    # then each is refused on the form with the same sentence, and no run starts
    for url, response in pages.items():
        assert response.status_code == 400
        assert refusal(url) in response.content.decode()
    assert not ImportRun.objects.exists()
    # and nothing connected to the open port
    assert listening.connections == 0


def test_the_import_command_refuses_loopback_alike_open_or_closed(listening):
    closed = free_port()
    messages = []
    for port in (listening.port, closed):
        with pytest.raises(CommandError) as caught:
            call_command("import_badgr", url=f"http://127.0.0.1:{port}", token="t", retries=0)
        messages.append(str(caught.value).replace(str(port), "PORT"))
    assert messages[0] == messages[1]
    assert messages[0].startswith(refusal("http://127.0.0.1:PORT/v2/issuers"))
    assert listening.connections == 0


def test_a_queued_run_naming_loopback_fails_with_the_sentence_and_connects_to_nothing(listening):
    # given a run recorded with a loopback address (before this rule, or by hand)
    run = ImportRun.objects.create(
        kind=RunKind.BADGR, issuer=IssuerFactory(), source_url=listening.url, token="t"
    )
    # when a worker runs it
    run_badgr_import(run.pk)
    # then it ends with the sentence, having connected to nothing
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.message == refusal(f"{listening.url}/v2/issuers")
    assert listening.connections == 0


# --- images named by the remote JSON -----------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "http://127.0.0.1:{port}/python.png",
        "http://[::1]:{port}/python.png",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://intranet.example.org:{port}/python.png",
    ],
)
def test_a_badge_class_image_on_a_private_address_is_refused_and_never_fetched(
    monkeypatch, listening, opened, image
):
    # given a public Badgr server whose badge class image points into the private network
    image = image.format(port=listening.port)
    fake_dns(monkeypatch, {"old.example.org": PUBLIC_ADDRESS, "intranet.example.org": "10.0.0.7"})
    issuer = {"entityId": "I1", "name": "Old Academy", "email": "a@old.example.org"}
    badgeclass = {
        "entityId": "C1",
        "issuer": "I1",
        "name": "Python",
        "image": image,
        "criteriaNarrative": "Pass",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{OLD}/v2/issuers", json=envelope([issuer]))
        mock.get(f"{OLD}/v2/issuers/I1/badgeclasses", json=envelope([badgeclass]))
        mock.get(f"{OLD}/v2/badgeclasses/C1/assertions", json=envelope([]))
        mock.add_passthru("http://")  # anything else really goes out (through `opened`)
        # when it is imported
        report = badgr_import(client=BadgrClient(OLD, "tok"), owner=UserFactory())
    # then the class is refused with the sentence, and the image was never requested
    assert [(e.kind, e.legacy_id, e.message) for e in report.errors] == [
        ("badgeclass", "C1", refusal(image))
    ]
    assert not BadgeTemplate.objects.exists()
    assert opened == []
    assert listening.connections == 0


# --- hosted Open Badges 2.0 badges: an issuer's file import and an earner's backpack ----------

TARGETS = [
    "http://127.0.0.1:{port}/public/assertions/x",
    "http://[::1]:{port}/public/assertions/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://intranet.example.org/public/assertions/x",  # resolves to 10.1.2.3
    "https://public.example.org/badge",  # redirects to loopback
    "http://rebind.example.org:{port}/badge",  # public when checked, loopback afterwards
]


def _import_by_issuer(client, url):
    issuer = IssuerFactory()
    editor = MembershipFactory(issuer=issuer, role=Role.EDITOR).user
    report = documents_import(issuer=issuer, documents=[Document(name=url, url=url)], actor=editor)
    [error] = report.errors
    return error.message


def _import_to_backpack(client, url):
    client.force_login(UserFactory(email="ada@example.org"))
    response = client.post("/me/badges/import", {"url": url})
    assert response.status_code == 200  # the form again, with the reason
    return response.content.decode()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("entry", [_import_by_issuer, _import_to_backpack])
def test_a_hosted_badge_on_a_private_address_is_refused_with_one_sentence(
    client, monkeypatch, listening, opened, entry, target
):
    # given private targets, some behind public names or redirects
    url = target.format(port=listening.port)
    rebinding = iter([PUBLIC_ADDRESS])
    fake_dns(
        monkeypatch,
        {
            "intranet.example.org": "10.1.2.3",
            "public.example.org": PUBLIC_ADDRESS,
            "rebind.example.org": lambda: next(rebinding, "127.0.0.1"),
        },
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            "https://public.example.org/badge",
            status=302,
            headers={"Location": f"http://127.0.0.1:{listening.port}/public/assertions/x"},
        )
        mock.add_passthru("http://")
        # when it is imported
        shown = entry(client, url)
    # then the same sentence says why, naming the URL given
    assert refusal(url) in shown
    # and nothing but the public address that was checked was connected to
    assert all(host == PUBLIC_ADDRESS for host, _port in opened)
    assert listening.connections == 0


def test_a_hosted_badge_whose_class_image_is_private_is_refused(monkeypatch, listening, opened):
    # given a valid hosted badge on a public host, its class image on loopback
    fake_dns(monkeypatch, {"elsewhere.example.org": PUBLIC_ADDRESS})
    base = "https://elsewhere.example.org"
    image = f"http://127.0.0.1:{listening.port}/badge.png"
    issuer = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Issuer",
        "id": f"{base}/issuer",
        "name": "Elsewhere",
    }
    badgeclass = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "BadgeClass",
        "id": f"{base}/class",
        "name": "Python",
        "image": image,
        "criteria": {"narrative": "Pass"},
        "issuer": issuer["id"],
    }
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"{base}/assertion",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": badgeclass["id"],
        "issuedOn": "2024-03-01T10:00:00Z",
        "verification": {"type": "hosted"},
    }
    new_home = IssuerFactory()
    editor = MembershipFactory(issuer=new_home, role=Role.EDITOR).user
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for document in (issuer, badgeclass, assertion):
            mock.get(document["id"], json=document)
        mock.add_passthru("http://")
        # when an issuer imports it
        report = documents_import(
            issuer=new_home, documents=[Document(name="b", url=assertion["id"])], actor=editor
        )
    # then the image is refused with the sentence and never requested
    assert [e.message for e in report.errors] == [refusal(image)]
    assert opened == []
    assert listening.connections == 0
