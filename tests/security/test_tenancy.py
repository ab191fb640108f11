"""Who may create an issuer, grant credits, invite, accept and see whom: the trust model
of docs/security.md, through /v2, /api/v1, the admin and the pages.

Findings 2 and 7 of issue 17 are the first tests of each part: an earner's token made
itself an issuer owner (and staff) with POST /v2/issuers, an owner topped up its own
credits in the admin, and the earners, members and email-change answers told whether an
address has an account (and added that account to an issuer without asking).
"""

import re

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from assertions.tests.factories import AssertionFactory
from earners.models import Earner
from issuers.models import (
    CreditLedgerEntry,
    Invitation,
    InvitationStatus,
    Issuer,
    IssuerMembership,
    IssuerRequest,
    RequestStatus,
    Role,
)
from issuers.tests.factories import IssuerFactory, MembershipFactory, OperatorFactory
from tests.admin.helpers import admin_url
from tests.api_v1.conftest import client_for  # a new token per call

pytestmark = pytest.mark.django_db

ALL_SCOPES = "rw:profile rw:issuer rw:backpack"
V2_ISSUER = {"name": "Mine Now", "email": "mine@attacker.example"}
V1_ORGANIZATION = {"name": "Mine Now", "email": "mine@attacker.example"}


def description(response) -> str:
    return response.json()["status"]["description"]


@pytest.fixture
def earner():
    """An account that only ever received badges: no membership, not staff."""
    user = UserFactory(email="earner@learners.example", is_staff=False)
    AssertionFactory(recipient_email=user.email)
    return user


@pytest.fixture
def owner():
    membership = MembershipFactory(role=Role.OWNER)
    membership.user.is_staff = True
    membership.user.save()
    return membership


# -- finding 2: any account became an issuer owner with unlimited credits --------------------


def test_an_earners_token_cannot_create_an_issuer_on_v2(earner):
    # given an earner's token with every scope, and the default ISSUER_CREATION
    api = client_for(earner, ALL_SCOPES)
    # when it posts an issuer
    response = api.post("/v2/issuers", V2_ISSUER, format="json")
    # then it is refused, in Badgr's envelope, saying why
    assert response.status_code == 403
    assert response.json()["status"]["success"] is False
    assert "created by the platform's operators" in description(response)
    # and nothing was made of it: no issuer, no membership, not staff
    assert not Issuer.objects.filter(name="Mine Now").exists()
    assert not IssuerMembership.objects.filter(user=earner).exists()
    earner.refresh_from_db()
    assert not earner.is_staff


def test_an_earners_token_cannot_create_an_organization_on_v1(earner):
    api = client_for(earner, ALL_SCOPES)
    response = api.post("/api/v1/organizations", V1_ORGANIZATION, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "issuer_creation_refused"
    assert "created by the platform's operators" in response.json()["detail"]
    assert not Issuer.objects.filter(name="Mine Now").exists()
    earner.refresh_from_db()
    assert not earner.is_staff


def test_an_owner_cannot_top_up_its_own_credits_in_the_admin(client, owner):
    # given an owner in the admin
    client.force_login(owner.user)
    url = admin_url(Issuer, "top_up", owner.issuer.pk)
    # when they open the top-up page and post a million credits
    page = client.get(url)
    response = client.post(url, {"amount": "1000000", "note": "free money"})
    # then both are refused and the balance and ledger are untouched
    assert (page.status_code, response.status_code) == (403, 403)
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 0
    assert not CreditLedgerEntry.objects.exists()


def test_an_owner_cannot_grant_itself_credits_through_the_api(owner):
    api = client_for(owner.user, ALL_SCOPES)
    response = api.post(
        f"/api/v1/organizations/{owner.issuer.entity_id}/credits",
        {"amount": 1_000_000},
        format="json",
    )
    assert response.status_code == 403
    assert "operators" in response.json()["detail"]
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 0


# -- finding 7: enumeration and consent ------------------------------------------------------


def _without_ids(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in {"id", "email", "created_at", "updated_at"}}


def test_adding_an_earner_says_nothing_of_accounts_it_did_not_award_to(owner):
    # given one address with an account on the platform and one without
    UserFactory(email="has.account@example.org", first_name="Known")
    api = client_for(owner.user, ALL_SCOPES)

    def add(email):
        body = {"organization_id": owner.issuer.entity_id, "email": email}
        response = api.post("/api/v1/earners", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    # when the issuer adds both as earners
    known, unknown = add("has.account@example.org"), add("no.account@example.org")
    # then the two answers are the same but for the address and ids
    assert _without_ids(known) == _without_ids(unknown)
    assert known["has_account"] is False
    # and neither filter tells them apart
    listed = api.get("/api/v1/earners?has_account=1").json()
    assert listed["count"] == 0
    assert Earner.objects.get(email="has.account@example.org").user is None


def test_adding_a_member_shows_nothing_of_the_account_and_adds_nobody(owner):
    # given an address with an account (a name, an id) and one without
    person = UserFactory(email="sam@example.org", first_name="Samantha", last_name="Quill")
    api = client_for(owner.user, ALL_SCOPES)
    path = f"/api/v1/organizations/{owner.issuer.entity_id}/members"
    # when the owner adds each
    known = api.post(path, {"email": "sam@example.org", "role": "editor"}, format="json")
    unknown = api.post(path, {"email": "nobody@example.org", "role": "editor"}, format="json")
    # then both are invitations, answered alike, naming only what the owner typed
    assert (known.status_code, unknown.status_code) == (202, 202)
    for body in (known.content.decode(), unknown.content.decode()):
        assert "Samantha" not in body
        assert "Quill" not in body
        assert person.entity_id not in body
    assert _without_ids(known.json()) == _without_ids(unknown.json())
    assert known.json()["status"] == "pending"
    # an address longer than any column is a 400 on its field, not a server error
    long = api.post(path, {"email": "a" * 250 + "@example.org"}, format="json")
    assert long.status_code == 400
    assert "email" in long.json()["field_errors"]
    # and nobody joined: the member list is the owner alone
    assert not IssuerMembership.objects.filter(user=person).exists()
    members = api.get(path).json()["results"]
    assert [m["email"] for m in members] == [owner.user.email]
    # nor do the invitations show anything of the account
    invitations = api.get(f"/api/v1/organizations/{owner.issuer.entity_id}/invitations")
    assert "Samantha" not in invitations.content.decode()
    assert person.entity_id not in invitations.content.decode()


def test_changing_ones_email_does_not_say_another_account_uses_the_address(client):
    # given an earner signed in, and an address another account uses
    user = UserFactory(email="ada@example.org")
    UserFactory(email="taken@example.org")
    client.force_login(user)

    def ask(address):
        response = client.post(
            "/accounts/settings/",
            {"form": "email", "new_email": address, "password": "pw-for-tests"},
            follow=True,
        )
        page = re.sub(re.escape(address), "ADDRESS", response.content.decode())
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "CSRF", page)

    # when they ask to move to the taken address and to a free one
    taken, free = ask("taken@example.org"), ask("free@example.org")
    # then the pages say the same, and nothing says the address is in use
    assert taken == free
    assert "Another account" not in taken
    assert "We sent a link to ADDRESS" in taken
    user.refresh_from_db()
    assert user.email == "ada@example.org"


# -- who may create an issuer, by ISSUER_CREATION ---------------------------------------------


@pytest.mark.parametrize("mode", ["closed", "approval", "open"])
def test_operators_and_superusers_create_issuers_through_both_apis(settings, mode):
    settings.ISSUER_CREATION = mode
    for user in (OperatorFactory(), UserFactory(is_superuser=True, is_staff=True)):
        api = client_for(user, ALL_SCOPES)
        v2 = api.post("/v2/issuers", {**V2_ISSUER, "name": f"v2 {user.pk}"}, format="json")
        v1 = api.post(
            "/api/v1/organizations", {**V1_ORGANIZATION, "name": f"v1 {user.pk}"}, format="json"
        )
        assert (v2.status_code, v1.status_code) == (201, 201), (v2.content, v1.content)
        assert v1.json()["name"] == f"v1 {user.pk}"
        assert IssuerMembership.objects.filter(user=user, role=Role.OWNER).count() == 2


def test_an_owner_may_not_create_another_issuer_when_closed(owner):
    api = client_for(owner.user, ALL_SCOPES)
    assert api.post("/v2/issuers", V2_ISSUER, format="json").status_code == 403
    assert api.post("/api/v1/organizations", V1_ORGANIZATION, format="json").status_code == 403
    assert Issuer.objects.count() == 1


def test_open_lets_anyone_signed_in_create_one(settings, earner):
    settings.ISSUER_CREATION = "open"
    response = client_for(earner, ALL_SCOPES).post("/v2/issuers", V2_ISSUER, format="json")
    assert response.status_code == 201
    issuer = Issuer.objects.get(name="Mine Now")
    assert IssuerMembership.objects.get(issuer=issuer).user == earner
    earner.refresh_from_db()
    assert earner.is_staff  # an owner's UI is the admin; "open" is a single-organisation install


def test_approval_turns_a_v2_create_into_a_request_badgr_clients_report(settings, earner):
    settings.ISSUER_CREATION = "approval"
    api = client_for(earner, ALL_SCOPES)
    # when a Badgr client creates an issuer with an image
    response = api.post("/v2/issuers", {**V2_ISSUER, "image": None}, format="json")
    # then it gets Badgr's error envelope saying the request went to the operators
    assert response.status_code == 403
    assert "sent to the platform's operators for approval" in description(response)
    request = IssuerRequest.objects.get(requested_by=earner)
    assert (request.name, request.status) == ("Mine Now", RequestStatus.PENDING)
    assert not Issuer.objects.filter(name="Mine Now").exists()
    # and asking again while it waits is a conflict, not a second request
    again = api.post("/v2/issuers", V2_ISSUER, format="json")
    assert again.status_code == 409
    assert IssuerRequest.objects.count() == 1


def test_approval_answers_202_with_the_request_on_v1_and_shows_it_only_to_its_requester(
    settings, earner
):
    settings.ISSUER_CREATION = "approval"
    api = client_for(earner, ALL_SCOPES)
    response = api.post("/api/v1/organizations", V1_ORGANIZATION, format="json")
    assert response.status_code == 202, response.content
    request = response.json()
    assert (request["status"], request["organization_id"]) == ("pending", None)
    # an image cannot wait for approval: a 400 naming it
    with_image = client_for(UserFactory(), ALL_SCOPES).post(
        "/api/v1/organizations",
        {**V1_ORGANIZATION, "image": "data:image/png;base64,iVBORw0KGgo="},
        format="json",
    )
    assert with_image.status_code == 400
    assert "image" in with_image.json()["field_errors"]
    # the requester sees it; someone else does not; an operator sees every request
    mine = api.get("/api/v1/organization-requests").json()["results"]
    assert [r["id"] for r in mine] == [request["id"]]
    other = client_for(UserFactory(), ALL_SCOPES)
    assert other.get("/api/v1/organization-requests").json()["count"] == 0
    assert other.get(f"/api/v1/organization-requests/{request['id']}").status_code == 404
    operator = client_for(OperatorFactory(), ALL_SCOPES)
    assert operator.get(f"/api/v1/organization-requests/{request['id']}").status_code == 200


def test_operators_decide_requests_in_the_admin_and_members_never_see_them(
    client, settings, earner, owner
):
    settings.ISSUER_CREATION = "approval"
    client_for(earner, ALL_SCOPES).post("/v2/issuers", V2_ISSUER, format="json")
    request = IssuerRequest.objects.get()
    changelist = admin_url(IssuerRequest, "changelist")
    approve = {"action": "approve", "_selected_action": [request.pk]}
    # an owner of another issuer (staff, no operator) sees nothing and decides nothing
    client.force_login(owner.user)
    assert client.get(changelist).status_code == 403
    client.post(changelist, approve)
    assert IssuerRequest.objects.get().status == RequestStatus.PENDING
    # an operator lists and approves it; the requester owns the new issuer
    client.force_login(OperatorFactory())
    assert request in client.get(changelist).context["cl"].result_list
    client.post(changelist, approve)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert IssuerMembership.objects.get(issuer=request.issuer).user == earner


# -- who grants credits, and who sees the ledger ---------------------------------------------


def test_an_operator_grants_credits_to_any_organization_through_the_api(owner):
    # given an operator who is no member of the issuer
    api = client_for(OperatorFactory(), ALL_SCOPES)
    path = f"/api/v1/organizations/{owner.issuer.entity_id}/credits"
    # when they grant 500
    response = api.post(path, {"amount": 500, "note": "Invoice 9"}, format="json")
    # then the ledger and balance have them, and the owner sees the entry
    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["reason"]) == (500, "top_up")
    ledger = client_for(owner.user, ALL_SCOPES).get(path).json()
    assert ledger["balance"] == 500
    assert ledger["results"][0]["note"] == "Invoice 9"
    # bad amounts are a 400 naming the field
    for amount in (0, -5, "many", 1.5, 10**10, 2**64):
        bad = api.post(path, {"amount": amount}, format="json")
        assert bad.status_code == 400
        assert "amount" in bad.json()["field_errors"]


def test_credits_of_an_organization_one_is_not_in_are_404_to_non_operators(owner):
    stranger = client_for(MembershipFactory(role=Role.OWNER).user, ALL_SCOPES)
    path = f"/api/v1/organizations/{owner.issuer.entity_id}/credits"
    assert stranger.post(path, {"amount": 5}, format="json").status_code == 404
    assert stranger.get(path).status_code == 404


def test_an_owner_asks_for_credits_staff_may_not(owner):
    path = f"/api/v1/organizations/{owner.issuer.entity_id}/credit-requests"
    api = client_for(owner.user, ALL_SCOPES)
    asked = api.post(path, {"amount": 200, "note": "Spring"}, format="json")
    assert asked.status_code == 201, asked.content
    assert (asked.json()["amount"], asked.json()["status"]) == (200, "pending")
    assert api.post(path, {"amount": 5}, format="json").status_code == 409
    too_many = api.post(path, {"amount": 2**40}, format="json")
    assert too_many.status_code == 400
    assert "amount" in too_many.json()["field_errors"]
    assert [r["id"] for r in api.get(path).json()["results"]] == [asked.json()["id"]]
    staff = client_for(MembershipFactory(issuer=owner.issuer, role=Role.STAFF).user, ALL_SCOPES)
    assert staff.post(path, {"amount": 5}, format="json").status_code == 403
    assert staff.get(path).status_code == 403


def test_an_operator_sees_no_issuers_badges_or_earners_without_a_membership(client, owner):
    # an operator decides issuers and credits; the issuers' data stays their members'
    badge = AssertionFactory(template__issuer=owner.issuer)
    operator = OperatorFactory()
    api = client_for(operator, ALL_SCOPES)
    assert api.get("/api/v1/badges").json()["count"] == 0
    assert api.get("/api/v1/earners").json()["count"] == 0
    assert api.get(f"/v2/assertions/{badge.entity_id}").status_code == 404
    client.force_login(operator)
    assert client.get(admin_url(type(badge), "changelist")).status_code == 403


# -- invitations: who invites, who accepts, who is seen --------------------------------------


@pytest.fixture
def invitation_link(owner, settings, django_capture_on_commit_callbacks):
    """An owner invites sam@example.org as editor; the path of the emailed link."""
    settings.SITE_URL = "https://badges.example"
    api = client_for(owner.user, ALL_SCOPES)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/organizations/{owner.issuer.entity_id}/members",
            {"email": "sam@example.org", "role": "editor"},
            format="json",
        )
    assert response.status_code == 202
    (message,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    return re.search(r"https://badges\.example(/invitations/\S+?/)", message.body).group(1)


def test_the_invited_person_signed_in_with_that_address_accepts(client, owner, invitation_link):
    sam = UserFactory(email="sam@example.org", is_staff=False)
    # signed out, the page asks them to sign in (an account uses the address)
    page = client.get(invitation_link)
    assert page.status_code == 200
    assert b'data-testid="sign-in"' in page.content
    # signed in, they accept and land on the issuer's dashboard
    client.force_login(sam)
    response = client.post(invitation_link)
    assert response.status_code == 302
    assert response["Location"] == f"/issuers/{owner.issuer.entity_id}/"
    assert IssuerMembership.objects.get(user=sam).role == Role.EDITOR
    sam.refresh_from_db()
    assert sam.is_staff
    # now, and only now, the owner sees them among the members
    members = client_for(owner.user, ALL_SCOPES).get(
        f"/api/v1/organizations/{owner.issuer.entity_id}/members"
    )
    assert sam.entity_id in members.content.decode()
    # and the link is spent
    assert client.get(invitation_link).status_code == 404


def test_someone_else_signed_in_cannot_accept(client, owner, invitation_link):
    UserFactory(email="sam@example.org")
    mallory = UserFactory(email="mallory@example.org")
    client.force_login(mallory)
    page = client.get(invitation_link)
    assert b'data-testid="wrong-account"' in page.content
    response = client.post(invitation_link)
    assert response.status_code == 400
    assert not IssuerMembership.objects.filter(user=mallory).exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_a_new_address_makes_its_account_on_the_invitation_page(client, owner, invitation_link):
    page = client.get(invitation_link)
    assert page.context["form"] is not None
    mismatch = client.post(
        invitation_link,
        {"password": "a-long-enough-passphrase", "password_again": "something-else"},
    )
    assert mismatch.status_code == 200
    assert mismatch.context["form"].errors["password_again"]
    response = client.post(
        invitation_link,
        {
            "first_name": "Sam",
            "password": "a-long-enough-passphrase",
            "password_again": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    membership = IssuerMembership.objects.get(user__email="sam@example.org")
    assert (membership.issuer, membership.role) == (owner.issuer, Role.EDITOR)
    # and they are signed in
    assert client.get(f"/issuers/{owner.issuer.entity_id}/").status_code == 200


def test_a_revoked_invitation_link_is_dead(client, owner, invitation_link):
    invitation = Invitation.objects.get()
    api = client_for(owner.user, ALL_SCOPES)
    path = f"/api/v1/organizations/{owner.issuer.entity_id}/invitations/{invitation.entity_id}"
    assert api.delete(path).status_code == 200
    client.force_login(UserFactory(email="sam@example.org"))
    assert client.get(invitation_link).status_code == 404
    assert client.post(invitation_link).status_code == 404
    assert not IssuerMembership.objects.filter(user__email="sam@example.org").exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_only_owners_invite_and_see_invitations(owner, role):
    member = MembershipFactory(issuer=owner.issuer, role=role)
    api = client_for(member.user, ALL_SCOPES)
    base = f"/api/v1/organizations/{owner.issuer.entity_id}"
    invited = api.post(f"{base}/members", {"email": "x@example.org"}, format="json")
    assert invited.status_code == 403
    assert api.get(f"{base}/invitations").status_code == 403
    assert not Invitation.objects.exists()


# -- the pages ---------------------------------------------------------------------------------


def test_the_dashboard_offers_top_up_to_operators_and_asking_to_owners(client, owner):
    dashboard = f"/issuers/{owner.issuer.entity_id}/"
    client.force_login(owner.user)
    page = client.get(dashboard).content.decode()
    assert 'data-testid="ask-for-credits"' in page
    assert "top-up" not in page
    operator = OperatorFactory()
    MembershipFactory(issuer=owner.issuer, user=operator, role=Role.STAFF)
    client.force_login(operator)
    page = client.get(dashboard).content.decode()
    assert admin_url(Issuer, "top_up", owner.issuer.pk) in page
    assert 'data-testid="ask-for-credits"' not in page


def test_the_issuer_pages_are_closed_to_an_operator_who_is_not_a_member(client):
    issuer = IssuerFactory()
    client.force_login(OperatorFactory())
    assert client.get(f"/issuers/{issuer.entity_id}/").status_code == 404
