"""One way to award a badge (issue 18): whichever way in and whatever the size, an award
leaves the same trail. An assignment of n earners is one ledger entry of -n, an
`issued` and an `email_queued` event and an email per badge, its emails handed to the
broker 100 per task; a /v2 award is an assignment of one; a spreadsheet import is an
`imported` event per badge and nothing else. At 100 and 101 rows alike: before, 100 rows
made 100 entries of -1 and 100 tasks of one email, 101 rows one entry and two tasks."""

from collections import Counter
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.models import Assertion, AssertionEvent
from core import tasks as core_tasks
from core.models import OutboundEmail
from issuers.models import CreditLedgerEntry, CreditReason, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.conftest import client_for as v1_client
from tests.api_v2.conftest import client_for as v2_client

pytestmark = pytest.mark.django_db

SIZES = [1, 100, 101, 1000]


@dataclass(frozen=True)
class Trail:
    ledger: list[int]  # the award entries' amounts (top-ups left out)
    events: dict[str, int]  # events of the issuer's badges, by kind
    emails: int  # outbox rows
    email_tasks: list[int]  # the outbox ids each send task published carries


def _assignment(n: int) -> Trail:
    return Trail(
        ledger=[-n],
        events={"issued": n, "email_queued": n},
        emails=n,
        email_tasks=sorted([100] * (n // 100) + ([n % 100] if n % 100 else [])),
    )


def _awards_of_one(n: int) -> Trail:
    one = _assignment(1)
    return Trail(
        ledger=one.ledger * n,
        events={kind: count * n for kind, count in one.events.items()},
        emails=n,
        email_tasks=one.email_tasks * n,
    )


def _import(n: int) -> Trail:
    return Trail(ledger=[], events={"imported": n}, emails=0, email_tasks=[])


@pytest.fixture
def world(client, monkeypatch):
    owner = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=owner.issuer, amount=5_000)  # granted by the platform
    template = BadgeTemplateFactory(issuer=owner.issuer, name="Shape")
    client.force_login(owner.user)
    tasks: list[int] = []
    # What the broker would be handed, once each transaction commits.
    monkeypatch.setattr(
        core_tasks.send_outbound_emails, "delay", lambda ids: tasks.append(len(ids))
    )
    monkeypatch.setattr(core_tasks.send_outbound_email, "delay", lambda pk: tasks.append(1))
    return {"owner": owner.user, "issuer": owner.issuer, "template": template, "tasks": tasks}


def _trail(world) -> Trail:
    issuer = world["issuer"]
    ledger = CreditLedgerEntry.objects.filter(issuer=issuer).exclude(reason=CreditReason.TOP_UP)
    events = Counter(
        AssertionEvent.objects.filter(assertion__organization=issuer).values_list("kind", flat=True)
    )
    return Trail(
        ledger=sorted(ledger.values_list("amount", flat=True)),
        events=dict(events),
        emails=OutboundEmail.objects.filter(assertion__organization=issuer).count(),
        email_tasks=sorted(world["tasks"]),
    )


def _emails(n: int) -> list[str]:
    return [f"earner{i}@shape.example" for i in range(n)]


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("earners.csv", text.encode(), "text/csv")


def through_the_wizard(world, client, n: int) -> None:
    issuer, template = world["issuer"], world["template"]
    base = f"/issuers/{issuer.entity_id}/assign"
    rows = "".join(f"{email},Ada,Lovelace\n" for email in _emails(n))
    earners = client.post(
        f"{base}/earners/", {"mode": "bulk", "file": _csv("email,first_name,last_name\n" + rows)}
    )
    assert earners.status_code == 302, earners.content[:300]
    steps = [
        ("earners/columns", {"email": "0", "first_name": "1", "last_name": "2"}),
        ("context", {"activity_title": "Course"}),
        ("template", {"template": template.entity_id}),
        ("validity", {"validity": "default"}),
        ("notes", {"notes": "", "narrative": "", "notify": "on", "action": "next"}),
    ]
    for step, data in steps:
        response = client.post(
            f"{base}/{step}/", {**data, "action": data.get("action", "continue")}
        )
        assert response.status_code == 302, (step, response.content[:300])
    assert client.get(f"{base}/review/").status_code == 200
    assert client.post(f"{base}/confirm/").status_code == 302


def through_api_v1(world, client, n: int) -> None:
    response = v1_client(world["owner"]).post(
        "/api/v1/assignments",
        {
            "badge_template": world["template"].entity_id,
            "activity_title": "Course",
            "earners": [{"email": email} for email in _emails(n)],
            "send_email": True,
        },
        format="json",
    )
    assert response.status_code in (201, 202), response.content[:300]


def through_v2(world, client, n: int) -> None:
    api = v2_client(world["owner"])
    path = f"/v2/badgeclasses/{world['template'].entity_id}/assertions"
    for email in _emails(n):
        response = api.post(path, {"recipient": {"identity": email}, "notify": True}, format="json")
        assert response.status_code == 201, response.content[:300]


def through_the_spreadsheet_import(world, client, n: int) -> None:
    template = world["template"].entity_id
    rows = "".join(f"{email},{template},2024-01-02\n" for email in _emails(n))
    response = client.post(
        f"/issuers/{world['issuer'].entity_id}/import/spreadsheet",
        {"sheet": _csv("email,template,issued_on\n" + rows)},
    )
    assert response.status_code == 302, response.content[:300]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    ("way", "expected"),
    [
        (through_the_wizard, _assignment),
        (through_api_v1, _assignment),
        (through_v2, _awards_of_one),
        (through_the_spreadsheet_import, _import),
    ],
    ids=["wizard", "api_v1", "v2", "spreadsheet"],
)
def test_every_way_in_leaves_one_trail_at_every_size(
    world, client, django_capture_on_commit_callbacks, way, expected, n
):
    # given an issuer with credits, when n earners get the badge one way
    with django_capture_on_commit_callbacks(execute=True):
        way(world, client, n)

    # then every badge is there, and the ledger, events and emails have the way's shape
    assert Assertion.objects.filter(organization=world["issuer"]).count() == n
    assert _trail(world) == expected(n)
