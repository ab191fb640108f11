"""Issue 20: staff land on their dashboard after signing in; the admin is the operators',
and a staff member who opens it is told where their work is, never a bare 403."""

import datetime as dt

import pytest

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough pass phrase"


def _member(role=Role.STAFF):
    membership = MembershipFactory(role=role, issuer__name="Demo Academy")
    membership.user.set_password(PASSWORD)
    membership.user.is_staff = True
    membership.user.save()
    return membership


def test_staff_who_sign_in_at_the_admin_login_land_on_their_dashboard(client):
    # given a staff member of one issuer
    membership = _member()
    # when they sign in on the admin's login page, asking for no page in particular
    page = client.get("/admin/login/")
    assert 'value="/start/"' in page.content.decode()
    response = client.post(
        "/admin/login/",
        {"username": membership.user.email, "password": PASSWORD, "next": "/start/"},
        follow=True,
    )
    # then they land on their issuer's dashboard
    assert response.redirect_chain[-1][0] == f"/issuers/{membership.issuer.entity_id}/"
    assert response.status_code == 200


def test_staff_who_sign_in_on_the_accounts_page_land_on_their_dashboard(client):
    membership = _member(Role.OWNER)
    response = client.post(
        "/accounts/login/",
        {"username": membership.user.email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/issuers/{membership.issuer.entity_id}/"


def test_earners_land_on_their_badges_and_operators_on_the_admin(client):
    earner = UserFactory()
    client.force_login(earner)
    assert client.get("/start/")["Location"] == "/me/badges"
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get("/start/")["Location"] == "/admin/"
    assert client.get("/admin/").context["title"]  # the admin's own index


def test_staff_who_open_the_admin_get_a_page_pointing_to_their_dashboard(client):
    membership = _member()
    client.force_login(membership.user)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="admin-door"' in html
    assert f"/issuers/{membership.issuer.entity_id}/" in html


def test_a_page_their_role_may_not_open_is_a_helpful_403_not_a_bare_one(client):
    # given a staff member (who may not manage templates)
    membership = _member()
    client.force_login(membership.user)
    # when they open the admin's "add a template" page
    response = client.get("/admin/templates_app/badgetemplate/add/")
    # then the refusal is a page of the site, with the way back
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="forbidden"' in html
    assert "/issuers/" in html


def test_the_admins_badge_list_shows_times_in_the_issuers_zone_labelled(client, admin_user):
    # given a badge of a Rome issuer issued at 21:59:59 UTC on 30 June
    badge = AssertionFactory(template=BadgeTemplateFactory(issuer__timezone="Europe/Rome"))
    Assertion.objects.filter(pk=badge.pk).update(
        emitted_at=dt.datetime(2028, 6, 30, 21, 59, 59, tzinfo=dt.UTC)
    )
    # when an operator opens the admin's badge list
    client.force_login(admin_user)
    html = client.get("/admin/assertions/assertion/").content.decode()
    # then the time is the issuer's, with the zone's name
    assert "30 Jun 2028 23:59 (Europe/Rome)" in html


def test_the_admin_speaks_to_staff_without_developer_wording(client):
    # given a staff member of an issuer with a badge
    membership = _member()
    badge = AssertionFactory(template=BadgeTemplateFactory(issuer=membership.issuer))
    client.force_login(membership.user)
    # when they open the badge's page and the page to award one in the admin
    change = client.get(f"/admin/assertions/assertion/{badge.pk}/change/").content.decode()
    add = client.get("/admin/assertions/assertion/add/").content.decode()
    # then no storage internals or notes for developers show
    assert change.count("Idempotency key") == 0
    assert "Recipient hash" not in change
    assert "Imp legacy id" not in change
    assert "ID on the platform it was imported from" in change
    assert "need no join" not in add
    assert "The badge to award." in add
