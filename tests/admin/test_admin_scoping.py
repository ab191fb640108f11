"""The admin shows a member only their issuers, and only what their role allows."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.testing import png_upload
from earners.models import Earner
from issuers.admin_scoping import IssuerScopedMixin
from issuers.models import (
    CreditLedgerEntry,
    CreditReason,
    CreditRequest,
    CreditRequestStatus,
    Invitation,
    InvitationStatus,
    Issuer,
    IssuerMembership,
    Role,
)
from issuers.services import credit_request_decline
from issuers.tests.factories import IssuerFactory, MembershipFactory, OperatorFactory
from templates_app.models import BadgeTemplate, BadgeTemplateVersion
from templates_app.tests.factories import BadgeTemplateFactory
from templates_app.tests.test_images import svg_upload
from tests.admin.helpers import admin_url, form_data, issuer_world, member

pytestmark = pytest.mark.django_db


def scoped_admins():
    return [a for a in admin.site._registry.values() if isinstance(a, IssuerScopedMixin)]


def object_in(model_admin, issuer):
    lookup = model_admin.issuer_path or "pk"
    return model_admin.model._default_manager.filter(**{lookup: issuer.pk}).first()


@pytest.fixture
def two_issuers():
    """Issuer A with a staff member, issuer B with an owner; each with one of everything."""
    a, b = issuer_world(name="Issuer A"), issuer_world(name="Issuer B")
    MembershipFactory(issuer=b.issuer, role=Role.OWNER)
    return a, b


# -- who gets in ---------------------------------------------------------------------


def test_a_member_without_any_django_permission_works_in_their_issuer(client, two_issuers):
    # given a staff member of A who holds no Django permission at all
    a, _ = two_issuers
    user = member(a.issuer)
    assert not user.user_permissions.exists()
    assert not user.groups.exists()
    client.force_login(user)
    # when they open the admin (past the page that points staff to their dashboard)
    index = client.get("/admin/?continue=1")
    changelist = client.get(admin_url(Assertion, "changelist"))
    # then they see the issuer apps and their badges
    assert index.status_code == 200
    assert admin_url(Assertion, "changelist").encode() in index.content
    assert admin_url(Issuer, "changelist").encode() in index.content
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [a.assertion]


def test_a_staff_user_without_a_membership_sees_no_issuer_data(client, two_issuers):
    # given a staff user who belongs to no issuer
    client.force_login(UserFactory(is_staff=True))
    # when they open the admin and an issuer changelist
    index = client.get("/admin/")
    changelist = client.get(admin_url(Assertion, "changelist"))
    # then nothing of any issuer is offered, and the changelist is refused
    assert index.status_code == 200
    assert admin_url(Assertion, "changelist").encode() not in index.content
    assert changelist.status_code == 403


# -- another issuer's objects ----------------------------------------------------------


def test_every_changelist_shows_only_the_members_issuer(client, two_issuers):
    # given B with objects of every kind
    a, _ = two_issuers
    for model_admin in scoped_admins():
        # when a member of A with the role the changelist needs opens it
        client.force_login(member(a.issuer, model_admin.view_role))
        response = client.get(admin_url(model_admin.model, "changelist"))
        # then every row belongs to A, and A's rows are there
        assert response.status_code == 200, model_admin
        rows = list(response.context["cl"].result_list)
        assert rows, model_admin
        assert {model_admin.issuer_of(row) for row in rows} == {a.issuer}, model_admin
        # and each of A's rows opens
        page = client.get(admin_url(model_admin.model, "change", rows[0].pk))
        assert page.status_code == 200, model_admin


def test_every_page_of_another_issuers_object_is_a_404(client, two_issuers):
    # given a member of A with the role each admin needs
    a, b = two_issuers
    for model_admin in scoped_admins():
        client.force_login(member(a.issuer, model_admin.view_role))
        theirs = object_in(model_admin, b.issuer)
        assert theirs is not None, model_admin
        model = model_admin.model
        # when they open B's object (view, change, history, delete)
        for view in ("change", "history", "delete"):
            get = client.get(admin_url(model, view, theirs.pk))
            # then it does not exist for them: no redirect, no hint
            assert get.status_code == 404, (model_admin, view)
        post = client.post(admin_url(model, "change", theirs.pk), {"name": "Taken"})
        assert post.status_code in (403, 404), model_admin


def test_the_filters_of_a_changelist_offer_only_the_members_issuers(client, two_issuers):
    # given a staff member of A
    a, b = two_issuers
    client.force_login(member(a.issuer))
    # when they open the badge changelist
    response = client.get(admin_url(Assertion, "changelist"))
    # then the issuer and template filters name nothing of B
    assert b.issuer.name.encode() not in response.content
    assert b.template.name.encode() not in response.content
    assert a.template.name.encode() in response.content


def test_filtering_on_another_issuer_shows_none_of_its_rows(client, two_issuers):
    a, b = two_issuers
    client.force_login(member(a.issuer))
    response = client.get(
        admin_url(Assertion, "changelist"), {"organization__id__exact": b.issuer.pk}
    )
    assert response.status_code == 200
    assert b.assertion not in response.context["cl"].result_list


def test_a_superuser_sees_every_issuer(client, two_issuers):
    a, b = two_issuers
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(admin_url(Assertion, "changelist"))
    assert set(response.context["cl"].result_list) == {a.assertion, b.assertion}
    assert client.get(admin_url(Assertion, "change", b.assertion.pk)).status_code == 200


# -- issuers -------------------------------------------------------------------------


def test_only_an_owner_may_change_the_issuer(client, two_issuers):
    # given A's staff member and A's owner
    a, _ = two_issuers
    staff, owner = member(a.issuer, Role.STAFF), member(a.issuer, Role.OWNER)
    url = admin_url(Issuer, "change", a.issuer.pk)
    # when the staff member opens the issuer, it is view-only, and posting is refused
    client.force_login(staff)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(url, {"name": "Renamed"}).status_code == 403
    # when the owner changes the name through the form
    client.force_login(owner)
    page = client.get(url)
    response = client.post(url, form_data(page, name="Renamed Academy"))
    # then it is saved
    assert response.status_code == 302
    a.issuer.refresh_from_db()
    assert a.issuer.name == "Renamed Academy"


def test_the_issuer_page_shows_the_ledger_read_only(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    page = client.get(admin_url(Issuer, "change", a.issuer.pk))
    (ledger,) = page.context["inline_admin_formsets"]
    assert ledger.has_add_permission is False
    assert ledger.has_change_permission is False
    assert ledger.has_delete_permission is False
    assert b"Test credits" in page.content
    assert len(ledger.formset.forms) == CreditLedgerEntry.objects.filter(issuer=a.issuer).count()


def test_a_form_shown_again_leaves_nothing_of_the_service_behind(client, two_issuers):
    # given an owner's valid issuer change, posted without the ledger's management form
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    url = admin_url(Issuer, "change", a.issuer.pk)
    data = {k: v for k, v in form_data(client.get(url)).items() if "credit_entries" not in k}
    data["name"] = "Half saved"
    # when it is posted
    response = client.post(url, data)
    # then the page comes back with the error, and the service's write was rolled back
    assert response.status_code == 200
    a.issuer.refresh_from_db()
    assert a.issuer.name == "Issuer A"


@pytest.mark.parametrize("operator", ["superuser", "permission"])
def test_only_operators_add_issuers_and_the_creator_becomes_owner(client, two_issuers, operator):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    assert client.get(admin_url(Issuer, "add")).status_code == 403
    root = (
        UserFactory(is_staff=True, is_superuser=True)
        if operator == "superuser"
        else OperatorFactory()
    )
    client.force_login(root)
    response = client.post(
        admin_url(Issuer, "add"),
        {"name": "New Org", "email": "Badges@New.Example", "url": "", "timezone": "Europe/Rome"},
    )
    assert response.status_code == 302
    issuer = Issuer.objects.get(name="New Org")
    assert issuer.email == "badges@new.example"  # the service normalised it
    assert IssuerMembership.objects.get(issuer=issuer).user == root


def test_a_service_error_on_the_issuer_shows_on_its_field(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        admin_url(Issuer, "add"), {"name": "Zoned", "email": "z@z.example", "timezone": "Mars/Base"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"]
    assert not Issuer.objects.filter(name="Zoned").exists()


# -- credits -------------------------------------------------------------------------


def test_an_operator_tops_up_credits(client, two_issuers):
    # given a platform operator who is no member of A, and A with 10 credits
    a, _ = two_issuers
    operator = OperatorFactory()
    client.force_login(operator)
    balance = Issuer.objects.get(pk=a.issuer.pk).credit_balance
    # when the operator follows "Top up credits" and adds 25
    page = client.get(admin_url(Issuer, "change", a.issuer.pk))
    assert admin_url(Issuer, "top_up", a.issuer.pk).encode() in page.content
    response = client.post(
        admin_url(Issuer, "top_up", a.issuer.pk), {"amount": "25", "note": "Invoice 7"}
    )
    # then the balance and the ledger have them
    assert response.status_code == 302
    assert Issuer.objects.get(pk=a.issuer.pk).credit_balance == balance + 25
    entry = CreditLedgerEntry.objects.filter(issuer=a.issuer).first()
    assert (entry.amount, entry.reason, entry.note) == (25, CreditReason.TOP_UP, "Invoice 7")
    assert entry.created_by == operator


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR, Role.OWNER])
def test_no_member_tops_up_not_even_an_owner(client, two_issuers, role):
    a, _ = two_issuers
    client.force_login(member(a.issuer, role))
    balance = Issuer.objects.get(pk=a.issuer.pk).credit_balance
    page = client.get(admin_url(Issuer, "change", a.issuer.pk))
    assert admin_url(Issuer, "top_up", a.issuer.pk).encode() not in page.content
    url = admin_url(Issuer, "top_up", a.issuer.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"amount": "1000000"}).status_code == 403
    assert Issuer.objects.get(pk=a.issuer.pk).credit_balance == balance


def test_an_owner_cannot_top_up_another_issuer(client, two_issuers):
    a, b = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    response = client.post(admin_url(Issuer, "top_up", b.issuer.pk), {"amount": "25"})
    assert response.status_code == 404
    assert Issuer.objects.get(pk=b.issuer.pk).credit_balance == 9


def test_a_top_up_of_nothing_is_a_form_error(client, two_issuers):
    a, _ = two_issuers
    client.force_login(OperatorFactory())
    response = client.post(admin_url(Issuer, "top_up", a.issuer.pk), {"amount": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]


def test_an_owner_asks_for_credits_and_an_operator_grants_them(client, two_issuers):
    # given A's owner (A's earlier request was declined)
    a, _ = two_issuers
    credit_request_decline(credit_request=CreditRequest.objects.get(issuer=a.issuer), actor=None)
    owner = member(a.issuer, Role.OWNER)
    client.force_login(owner)
    balance = Issuer.objects.get(pk=a.issuer.pk).credit_balance
    # when they follow "Ask for credits" from the issuer and ask for 300
    page = client.get(admin_url(Issuer, "change", a.issuer.pk))
    ask = admin_url(CreditRequest, "add") + f"?issuer={a.issuer.pk}"
    assert ask.encode() in page.content
    form = client.get(ask)
    assert list(form.context["adminform"].form.fields["issuer"].queryset) == [a.issuer]
    response = client.post(
        admin_url(CreditRequest, "add"), {"issuer": a.issuer.pk, "amount": "300", "note": "Q2"}
    )
    assert response.status_code == 302
    request = CreditRequest.objects.get(issuer=a.issuer, status=CreditRequestStatus.PENDING)
    assert (request.amount, request.requested_by) == (300, owner)
    # a second one, or one beyond any column, is a message on the form
    for amount, field in (("5", None), (str(10**12), "amount")):
        again = client.post(
            admin_url(CreditRequest, "add"), {"issuer": a.issuer.pk, "amount": amount}
        )
        assert again.status_code == 200
        errors = again.context["adminform"].form.errors
        assert errors[field] if field else errors["__all__"]
    # and the owner cannot grant it
    action = {"action": "grant", "_selected_action": [request.pk]}
    client.post(admin_url(CreditRequest, "changelist"), action)
    assert Issuer.objects.get(pk=a.issuer.pk).credit_balance == balance
    # when an operator grants it
    client.force_login(OperatorFactory())
    listed = client.get(admin_url(CreditRequest, "changelist"))
    assert request in listed.context["cl"].result_list
    client.post(admin_url(CreditRequest, "changelist"), action)
    # then the credits are in the ledger
    request.refresh_from_db()
    assert request.status == CreditRequestStatus.GRANTED
    assert Issuer.objects.get(pk=a.issuer.pk).credit_balance == balance + 300


def test_ledger_entries_cannot_be_added_changed_or_deleted(client, two_issuers):
    a, _ = two_issuers
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    entry = CreditLedgerEntry.objects.filter(issuer=a.issuer).first()
    assert client.get(admin_url(CreditLedgerEntry, "add")).status_code == 403
    assert client.post(admin_url(CreditLedgerEntry, "change", entry.pk), {}).status_code == 403
    assert client.post(admin_url(CreditLedgerEntry, "delete", entry.pk), {}).status_code == 403


# -- memberships ---------------------------------------------------------------------


def test_an_owner_invites_a_member_by_email(client, two_issuers):
    a, b = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    newcomer = UserFactory(email="newcomer@example.org", is_staff=False)
    page = client.get(admin_url(Invitation, "add"))
    assert list(page.context["adminform"].form.fields["issuer"].queryset) == [a.issuer]
    response = client.post(
        admin_url(Invitation, "add"),
        {"issuer": a.issuer.pk, "email": "Newcomer@Example.org", "role": Role.EDITOR},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(issuer=a.issuer, email="newcomer@example.org")
    assert (invitation.role, invitation.status) == (Role.EDITOR, InvitationStatus.PENDING)
    # nobody joins, and nothing of the account is shown, until they accept
    assert not IssuerMembership.objects.filter(user=newcomer).exists()
    newcomer.refresh_from_db()
    assert not newcomer.is_staff
    listed = client.get(admin_url(Invitation, "changelist"))
    assert newcomer.first_name.encode() not in listed.content
    assert client.get(admin_url(IssuerMembership, "add")).status_code == 403


def test_inviting_a_member_who_is_one_already_is_a_form_error(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    existing = member(a.issuer, Role.STAFF)
    response = client.post(
        admin_url(Invitation, "add"),
        {"issuer": a.issuer.pk, "email": existing.email, "role": Role.EDITOR},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Already a member of this issuer."
    ]


def test_an_owner_cannot_invite_to_another_issuer(client, two_issuers):
    a, b = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    response = client.post(
        admin_url(Invitation, "add"),
        {"issuer": b.issuer.pk, "email": "newcomer@example.org", "role": Role.OWNER},
    )
    assert response.status_code == 200
    assert "issuer" in response.context["adminform"].form.errors
    assert not Invitation.objects.filter(email="newcomer@example.org").exists()


def test_an_owner_revokes_an_invitation(client, two_issuers):
    a, b = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    ours, theirs = Invitation.objects.get(issuer=a.issuer), Invitation.objects.get(issuer=b.issuer)
    client.post(
        admin_url(Invitation, "changelist"),
        {"action": "revoke", "_selected_action": [ours.pk, theirs.pk]},
    )
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == (InvitationStatus.REVOKED, InvitationStatus.PENDING)


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_only_owners_manage_members(client, two_issuers, role):
    a, _ = two_issuers
    user = member(a.issuer, role)
    client.force_login(user)
    own = IssuerMembership.objects.get(user=user)
    assert client.get(admin_url(Invitation, "add")).status_code == 403
    assert client.get(admin_url(Invitation, "changelist")).status_code == 403
    assert (
        client.post(admin_url(IssuerMembership, "change", own.pk), {"role": "owner"}).status_code
        == 403
    )
    assert (
        client.post(admin_url(IssuerMembership, "delete", own.pk), {"post": "yes"}).status_code
        == 403
    )
    own.refresh_from_db()
    assert own.role == role


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, two_issuers):
    a, _ = two_issuers
    owner = member(a.issuer, Role.OWNER)
    client.force_login(owner)
    own = IssuerMembership.objects.get(user=owner)
    demote = client.post(admin_url(IssuerMembership, "change", own.pk), {"role": Role.STAFF})
    assert demote.status_code == 200
    assert "must keep at least one owner" in str(demote.context["adminform"].form.errors)
    remove = client.post(admin_url(IssuerMembership, "delete", own.pk), {"post": "yes"})
    assert remove.status_code == 302
    own.refresh_from_db()
    assert own.role == Role.OWNER


def test_an_owner_changes_a_role_and_removes_a_member(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.OWNER))
    other = IssuerMembership.objects.get(user=member(a.issuer, Role.STAFF))
    response = client.post(admin_url(IssuerMembership, "change", other.pk), {"role": Role.EDITOR})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.role == Role.EDITOR
    response = client.post(admin_url(IssuerMembership, "delete", other.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not IssuerMembership.objects.filter(pk=other.pk).exists()


# -- badge templates -----------------------------------------------------------------


def template_post(issuer, **changes):
    data = {
        "issuer": issuer.pk,
        "name": "Data Analysis",
        "description": "Analyses data.",
        "kind": "skills",
        "criteria_url": "https://issuer.example/data",
        "criteria_narrative": "",
        "image": png_upload(),
        "tags": '["data"]',
        "alignments": "[]",
        "validity_amount": "",
        "validity_unit": "",
    }
    data.update(changes)
    return data


def test_a_staff_member_can_view_but_not_add_or_change_templates(client, two_issuers):
    # given A's staff-role member
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.STAFF))
    url = admin_url(BadgeTemplate, "change", a.template.pk)
    # then the template shows, read-only; adding and changing are refused
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.get(admin_url(BadgeTemplate, "add")).status_code == 403
    assert client.post(admin_url(BadgeTemplate, "add"), template_post(a.issuer)).status_code == 403
    assert client.post(url, {"name": "Renamed"}).status_code == 403
    assert not BadgeTemplate.objects.filter(name__in=["Data Analysis", "Renamed"]).exists()


def test_an_editor_adds_a_template_with_its_first_version(client, two_issuers):
    # given an editor of A who is also a staff member of another issuer
    a, b = two_issuers
    editor = member(a.issuer, Role.EDITOR)
    MembershipFactory(issuer=b.issuer, user=editor, role=Role.STAFF)
    client.force_login(editor)
    # when they open the add page, only A can be chosen
    page = client.get(admin_url(BadgeTemplate, "add"))
    assert list(page.context["adminform"].form.fields["issuer"].queryset) == [a.issuer]
    # when they add a template
    response = client.post(admin_url(BadgeTemplate, "add"), template_post(a.issuer))
    # then the service made it, with version 1
    assert response.status_code == 302
    template = BadgeTemplate.objects.get(name="Data Analysis")
    assert (template.issuer, template.created_by) == (a.issuer, editor)
    assert template.tags == ["data"]
    assert template.current_version.number == 1
    assert template.current_version.image_sha256


def test_an_editor_cannot_add_a_template_to_an_issuer_where_they_are_staff(client, two_issuers):
    a, b = two_issuers
    editor = member(a.issuer, Role.EDITOR)
    MembershipFactory(issuer=b.issuer, user=editor, role=Role.STAFF)
    client.force_login(editor)
    response = client.post(admin_url(BadgeTemplate, "add"), template_post(b.issuer))
    assert response.status_code == 200
    assert "issuer" in response.context["adminform"].form.errors
    assert not BadgeTemplate.objects.filter(name="Data Analysis").exists()


def test_saving_a_template_makes_a_version_only_when_something_shown_changed(client, two_issuers):
    # given an editor of A and A's template at version 1
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    url = admin_url(BadgeTemplate, "change", a.template.pk)
    # when they save it unchanged, then with a new default validity (not shown on badges)
    assert client.post(url, form_data(client.get(url))).status_code == 302
    response = client.post(
        url, form_data(client.get(url), validity_amount="2", validity_unit="years")
    )
    assert response.status_code == 302
    # then there is still one version
    a.template.refresh_from_db()
    assert a.template.validity_amount == 2
    assert a.template.versions.count() == 1
    # when they change the description
    response = client.post(url, form_data(client.get(url), description="Shows two skills."))
    # then version 2 is current, and version 1 is untouched
    assert response.status_code == 302
    a.template.refresh_from_db()
    assert a.template.current_version.number == 2
    assert a.template.current_version.description == "Shows two skills."
    assert a.template.versions.get(number=1).description == "Shows a skill."


def test_a_new_image_makes_a_version(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    url = admin_url(BadgeTemplate, "change", a.template.pk)
    data = form_data(client.get(url), image=png_upload(color="#ff0000"))
    assert client.post(url, data).status_code == 302
    assert a.template.versions.count() == 2


def test_the_admin_takes_the_images_the_apis_take_and_names_a_bad_one(client, two_issuers):
    # given an editor of A
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    url = admin_url(BadgeTemplate, "change", a.template.pk)
    # when they upload an SVG (sanitised by the service, as over /v2 and /api/v1)
    response = client.post(url, form_data(client.get(url), image=svg_upload()))
    # then it is the new version's image
    assert response.status_code == 302
    a.template.refresh_from_db()
    assert a.template.current_version.image.name.endswith(".svg")
    # and a file that is no image is named on the form, nothing saved
    bad = SimpleUploadedFile("badge.png", b"not an image", content_type="image/png")
    response = client.post(url, form_data(client.get(url), image=bad))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"]
    assert a.template.versions.count() == 2


def test_a_template_rule_broken_in_the_admin_is_a_form_error(client, two_issuers):
    # given an editor of A
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    # when they add a template with no criteria and a malformed alignment
    response = client.post(
        admin_url(BadgeTemplate, "add"),
        template_post(a.issuer, criteria_url="", alignments='[{"targetName": "X"}]'),
    )
    # then the page shows the service's errors, on the field where it can
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["alignments"] == ["Alignment 1 needs targetUrl."]
    assert not BadgeTemplate.objects.filter(name="Data Analysis").exists()


def test_templates_versions_and_events_cannot_be_deleted(client, two_issuers):
    a, _ = two_issuers
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    event = AssertionEvent.objects.filter(assertion=a.assertion).first()
    for obj in (a.template, a.template.current_version, a.assertion, event):
        response = client.post(admin_url(type(obj), "delete", obj.pk), {"post": "yes"})
        assert response.status_code == 403, obj
    assert BadgeTemplateVersion.objects.filter(pk=a.template.current_version.pk).exists()


# -- badges --------------------------------------------------------------------------


def test_a_staff_member_awards_a_badge_from_the_add_page(client, two_issuers):
    # given A's staff member, and an archived template of A
    a, b = two_issuers
    staff = member(a.issuer)
    archived = BadgeTemplateFactory(issuer=a.issuer, name="Old badge")
    archived.archived = True
    archived.save()
    client.force_login(staff)
    # when they open the add page, only A's live templates can be chosen
    page = client.get(admin_url(Assertion, "add"))
    choices = page.context["adminform"].form.fields["badge_template"].queryset
    assert list(choices) == [a.template]
    # when they award one, without an email
    response = client.post(
        admin_url(Assertion, "add"),
        {
            "badge_template": a.template.pk,
            "recipient_email": "Grace@Example.org",
            "recipient_first_name": "Grace",
            "recipient_last_name": "Hopper",
            "activity_title": "Compilers",
            "narrative": "Wrote one.",
        },
    )
    # then assertion_issue made it
    assert response.status_code == 302
    badge = Assertion.objects.get(recipient_email="grace@example.org")
    assert (badge.organization, badge.created_by) == (a.issuer, staff)
    assert badge.events.filter(kind=EventKind.ISSUED).exists()
    assert not badge.emails.exists()


def test_awarding_without_credits_is_a_form_error(client, two_issuers):
    a, _ = two_issuers
    poor = IssuerFactory()
    template = BadgeTemplateFactory(issuer=poor)
    client.force_login(member(poor))
    response = client.post(
        admin_url(Assertion, "add"),
        {"badge_template": template.pk, "recipient_email": "x@example.org", "notify": "on"},
    )
    assert response.status_code == 200
    assert "Not enough credits" in str(response.context["adminform"].form.non_field_errors())
    assert not Assertion.objects.filter(organization=poor).exists()
    assert not Earner.objects.filter(issuer=poor).exists()  # rolled back with the rest


def test_a_staff_member_corrects_a_badge_through_the_service(client, two_issuers):
    # given A's staff member and A's badge
    a, _ = two_issuers
    staff = member(a.issuer)
    client.force_login(staff)
    url = admin_url(Assertion, "change", a.assertion.pk)
    page = client.get(url)
    form = page.context["adminform"].form
    # then only what assertion_update allows is editable, and never the issue date
    assert "recipient_email" not in form.fields
    assert "emitted_at" not in form.fields
    assert "notes" in form.fields
    # in plain words: no developer notes among the help texts
    html = page.content.decode()
    for wording in ("need no join", "[{url", "sha256$", "answer 404", "extensions:", "issuedOn"):
        assert wording not in html, wording
    # when they change the notes
    response = client.post(url, form_data(page, notes="Corrected."))
    # then the badge has them, with an "updated" event naming them
    assert response.status_code == 302
    a.assertion.refresh_from_db()
    assert a.assertion.notes == "Corrected."
    event = a.assertion.events.get(kind=EventKind.UPDATED)
    assert event.actor == staff
    assert set(event.payload["changes"]) == {"notes"}


def test_an_expiry_before_the_issue_date_is_an_error_on_the_expiry(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer))
    url = admin_url(Assertion, "change", a.assertion.pk)
    response = client.post(
        url, form_data(client.get(url), expires_at_0="2000-01-01", expires_at_1="00:00:00")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["expires_at"]


def test_a_revoked_badge_is_view_only(client, two_issuers):
    a, _ = two_issuers
    assertion_revoke(assertion=a.assertion, reason="Wrong person")
    client.force_login(member(a.issuer))
    url = admin_url(Assertion, "change", a.assertion.pk)
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"notes": "Sneaky"}).status_code == 403
    a.assertion.refresh_from_db()
    assert a.assertion.status == AssertionStatus.REVOKED
    assert a.assertion.notes == ""


# -- performance and smoke -----------------------------------------------------------


@pytest.mark.parametrize("superuser", [False, True])
def test_the_badge_changelist_costs_the_same_for_30_rows_as_for_3(
    client, django_assert_max_num_queries, superuser
):
    # given an issuer with 3 badges
    template = BadgeTemplateFactory()
    AssertionFactory.create_batch(3, template=template)
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root if superuser else member(template.issuer))
    url = admin_url(Assertion, "changelist")
    client.get(url)  # warm caches (content types, sessions) out of the count
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).context["cl"].result_list) == 3
    # when it has 30
    AssertionFactory.create_batch(27, template=template)
    # then the changelist makes no more queries
    with django_assert_max_num_queries(len(three.captured_queries)):
        assert len(client.get(url).context["cl"].result_list) == 30


# Issuer data added from the admin; the rest is append-only or made by other flows.
ADDABLE = {Issuer, Invitation, CreditRequest, BadgeTemplate, Assertion}


def test_every_admin_page_works_for_a_superuser(client, rf, two_issuers):
    # given a superuser, and objects of every kind
    a, _ = two_issuers
    member(a.issuer)
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)
    request = rf.get("/admin/")
    request.user = root
    ours = {model_admin.model for model_admin in scoped_admins()}
    for model, model_admin in admin.site._registry.items():
        # then every changelist answers
        assert client.get(admin_url(model, "changelist")).status_code == 200, model
        # and every add page, where adding is allowed at all (others' admins decide theirs)
        addable = model in ADDABLE if model in ours else model_admin.has_add_permission(request)
        expected = 200 if addable else 403
        assert client.get(admin_url(model, "add")).status_code == expected, model
    # and every change (or view) page of issuer data
    for model_admin in scoped_admins():
        obj = object_in(model_admin, a.issuer)
        response = client.get(admin_url(model_admin.model, "change", obj.pk))
        assert response.status_code == 200, model_admin
