"""The issuer's credits on the staff pages (issue 20): balance and ledger for every
member, paged by key; owners ask the operators for more through the service."""

import pytest
from django.http import QueryDict

from core.models import EmailKind, OutboundEmail
from issuers.models import CreditLedgerEntry, CreditReason, CreditRequest, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory, OperatorFactory

pytestmark = pytest.mark.django_db


def url(issuer):
    return f"/issuers/{issuer.entity_id}/credits/"


def test_the_page_shows_the_balance_and_the_ledger_newest_first(client, staff):
    credits_top_up(issuer=staff.issuer, amount=25, note="Spring")
    response = client.get(url(staff.issuer))
    assert response.status_code == 200
    entries = [row["entry"] for row in response.context["entries"]]
    assert [(e.amount, e.balance_after) for e in entries] == [(25, 525), (500, 500)]
    html = response.content.decode()
    assert "525" in html
    assert "Spring" in html


def test_the_ledger_pages_walk_every_entry_once_in_constant_queries(
    client, staff, django_assert_max_num_queries
):
    with django_assert_max_num_queries(100) as captured:
        client.get(url(staff.issuer))
    small = len(captured)
    CreditLedgerEntry.objects.bulk_create(
        [
            CreditLedgerEntry(
                issuer=staff.issuer, amount=1, balance_after=500 + i, reason=CreditReason.TOP_UP
            )
            for i in range(1, 131)
        ]
    )
    seen, params = [], {}
    for _page in range(5):
        with django_assert_max_num_queries(small):
            response = client.get(url(staff.issuer), params)
        seen += [row["entry"].pk for row in response.context["entries"]]
        if not response.context["next_url"]:
            break
        params = QueryDict(response.context["next_url"].lstrip("?"))
    assert len(seen) == len(set(seen)) == 131


def test_an_owner_asks_for_credits_and_the_operators_are_emailed(client, staff):
    OperatorFactory(email="ops@example.org")
    response = client.post(url(staff.issuer), {"amount": "300", "note": "Autumn courses"})
    assert response.status_code == 302
    request = CreditRequest.objects.get(issuer=staff.issuer)
    assert (request.amount, request.note, request.requested_by) == (
        300,
        "Autumn courses",
        staff.user,
    )
    assert OutboundEmail.objects.filter(
        kind=EmailKind.CREDITS_REQUESTED, to_email="ops@example.org"
    ).exists()
    # a second request while one waits: the service's refusal on the form
    response = client.post(url(staff.issuer), {"amount": "5"})
    assert response.status_code == 400
    assert "waiting already" in response.content.decode()
    assert CreditRequest.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-4", "abc", "", "99999999999"])
def test_a_bad_amount_is_said_under_the_field(client, staff, amount):
    response = client.post(url(staff.issuer), {"amount": amount})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"]
    assert not CreditRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_members_below_owner_read_the_ledger_but_may_not_ask(client, staff, role):
    member = MembershipFactory(issuer=staff.issuer, role=role).user
    client.force_login(member)
    page = client.get(url(staff.issuer))
    assert page.status_code == 200
    assert not page.context["may_ask"]
    assert 'data-testid="credits-request-form"' not in page.content.decode()
    response = client.post(url(staff.issuer), {"amount": "10"})
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.content.decode()
    assert not CreditRequest.objects.exists()


def test_the_dashboard_sends_owners_here_to_ask(client, staff):
    page = client.get(f"/issuers/{staff.issuer.entity_id}/").content.decode()
    assert f'href="{url(staff.issuer)}" data-testid="ask-for-credits"' in page


def test_another_issuers_owner_gets_404(client, staff):
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(url(staff.issuer)).status_code == 404
    assert client.post(url(staff.issuer), {"amount": "10"}).status_code == 404
