"""The issuer's members on the staff pages (issue 20): every member reads the list;
owners invite, change roles, remove and revoke invitations, only through the issuers
services and their rules (never the last owner); others get the site's 403."""

import pytest

from core.models import EmailKind, OutboundEmail
from issuers.models import Invitation, InvitationStatus, IssuerMembership, Role
from issuers.tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def url(issuer, suffix=""):
    return f"/issuers/{issuer.entity_id}/members/{suffix}"


def test_the_list_shows_members_owners_first_and_pending_invitations(client, staff):
    issuer = staff.issuer
    MembershipFactory(issuer=issuer, role=Role.STAFF, user__email="zed@example.org")
    MembershipFactory(issuer=issuer, role=Role.EDITOR, user__email="amy@example.org")
    InvitationFactory(issuer=issuer, email="invited@example.org")
    InvitationFactory(issuer=issuer, email="gone@example.org", status=InvitationStatus.REVOKED)
    response = client.get(url(issuer))
    assert response.status_code == 200
    roles = [row["membership"].role for row in response.context["members"]]
    assert roles == ["owner", "editor", "staff"]
    assert [r["invitation"].email for r in response.context["invitations"]] == [
        "invited@example.org"
    ]
    assert response.context["may_manage"]


def test_an_owner_invites_by_email_and_the_invitation_email_is_queued(client, staff):
    response = client.post(
        url(staff.issuer, "invite/"), {"email": "New@Example.org", "role": "editor"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(issuer=staff.issuer)
    assert (invitation.email, invitation.role) == ("new@example.org", "editor")
    assert OutboundEmail.objects.filter(
        kind=EmailKind.MEMBER_INVITED, to_email="new@example.org"
    ).exists()


def test_a_bad_or_repeated_invitation_is_said_on_the_form(client, staff):
    # a malformed address and an unknown role: under their fields
    response = client.post(url(staff.issuer, "invite/"), {"email": "not-an-email", "role": "boss"})
    assert response.status_code == 400
    form = response.context["invite_form"]
    assert form.errors["email"]
    assert form.errors["role"]
    # someone already a member: the service's refusal under the email
    response = client.post(
        url(staff.issuer, "invite/"), {"email": staff.user.email, "role": "staff"}
    )
    assert response.status_code == 400
    assert "Already a member of this issuer." in response.context["invite_form"].errors["email"]
    assert not Invitation.objects.exists()


def test_an_owner_changes_a_role_and_removes_a_member(client, staff):
    other = MembershipFactory(issuer=staff.issuer, role=Role.STAFF)
    response = client.post(
        url(staff.issuer, "role/"), {"email": other.user.email, "role": "editor"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.role == Role.EDITOR
    response = client.post(url(staff.issuer, "remove/"), {"email": other.user.email})
    assert response.status_code == 302
    assert not IssuerMembership.objects.filter(pk=other.pk).exists()


def test_the_last_owner_can_neither_be_demoted_nor_removed(client, staff):
    response = client.post(url(staff.issuer, "role/"), {"email": staff.user.email, "role": "staff"})
    assert response.status_code == 400
    assert "must keep at least one owner" in response.content.decode()
    response = client.post(url(staff.issuer, "remove/"), {"email": staff.user.email})
    assert response.status_code == 400
    staff.refresh_from_db()
    assert staff.role == Role.OWNER


def test_an_unknown_member_or_role_changes_nothing(client, staff):
    other = MembershipFactory(issuer=staff.issuer, role=Role.STAFF)
    outsider = MembershipFactory(role=Role.STAFF)  # a member of another issuer
    assert (
        client.post(
            url(staff.issuer, "role/"), {"email": outsider.user.email, "role": "owner"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url(staff.issuer, "role/"), {"email": other.user.email, "role": "boss"}
        ).status_code
        == 302
    )
    outsider.refresh_from_db()
    other.refresh_from_db()
    assert (outsider.role, other.role) == (Role.STAFF, Role.STAFF)


def test_an_owner_revokes_an_invitation(client, staff):
    invitation = InvitationFactory(issuer=staff.issuer)
    response = client.post(url(staff.issuer, f"invitations/{invitation.entity_id}/revoke/"))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    # another issuer's invitation is not found here
    elsewhere = InvitationFactory()
    response = client.post(url(staff.issuer, f"invitations/{elsewhere.entity_id}/revoke/"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_members_below_owner_read_the_list_and_get_the_sites_403_for_changes(client, staff, role):
    member = MembershipFactory(issuer=staff.issuer, role=role)
    invitation = InvitationFactory(issuer=staff.issuer)
    client.force_login(member.user)
    page = client.get(url(staff.issuer))
    assert page.status_code == 200
    assert not page.context["may_manage"]
    assert 'data-testid="invite-form"' not in page.content.decode()
    for suffix, data in (
        ("invite/", {"email": "x@example.org", "role": "owner"}),
        ("role/", {"email": member.user.email, "role": "owner"}),
        ("remove/", {"email": staff.user.email}),
        (f"invitations/{invitation.entity_id}/revoke/", {}),
    ):
        response = client.post(url(staff.issuer, suffix), data)
        assert response.status_code == 403, suffix
        assert 'data-testid="forbidden"' in response.content.decode()
    member.refresh_from_db()
    assert member.role == role
    assert IssuerMembership.objects.filter(pk=staff.pk).exists()
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 1


def test_another_issuers_owner_gets_404(client, staff):
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(url(staff.issuer)).status_code == 404
    assert client.post(url(staff.issuer, "remove/"), {"email": staff.user.email}).status_code == 404


def test_an_owner_who_leaves_goes_back_to_their_issuers(client, staff):
    # given a second owner, so that the first may leave
    MembershipFactory(issuer=staff.issuer, role=Role.OWNER)
    response = client.post(url(staff.issuer, "remove/"), {"email": staff.user.email})
    assert response.status_code == 302
    assert response["Location"] == "/issuers/"
    assert not IssuerMembership.objects.filter(pk=staff.pk).exists()
    assert client.get(url(staff.issuer)).status_code == 404


def test_each_rows_actions_name_the_member_or_invitation_they_are_for(client, staff):
    # Given another member and a pending invitation
    issuer = staff.issuer
    MembershipFactory(issuer=issuer, role=Role.STAFF, user__email="zed@example.org")
    InvitationFactory(issuer=issuer, email="invited@example.org")
    # When an owner opens the members page
    html = client.get(url(issuer)).content.decode()
    # Then a screen reader hears whose role, removal or invitation each control is for
    assert 'aria-label="Role of zed@example.org"' in html
    assert 'aria-label="Change the role of zed@example.org"' in html
    assert 'aria-label="Remove zed@example.org"' in html
    assert 'aria-label="Revoke the invitation to invited@example.org"' in html
