"""The issuer's pages for its staff: the list of their issuers and the dashboard."""

import pytest

from assertions.services import batch_assign
from assertions.tests.factories import AssertionFactory
from issuers.models import Role
from issuers.tests.factories import IssuerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_member_of_one_issuer_goes_straight_to_its_dashboard(client, issuer):
    response = client.get("/issuers/")
    assert response.status_code == 302
    assert response["Location"] == f"/issuers/{issuer.entity_id}/"


def test_a_member_of_several_issuers_chooses_among_them_only(client, staff):
    # given a second issuer of the same person, and one they are not a member of
    second = MembershipFactory(user=staff.user, role=Role.STAFF, issuer__name="Night School")
    IssuerFactory(name="Someone Else's")
    # when they open the list
    html = client.get("/issuers/").content.decode()
    # then both of theirs are linked, the other is not shown
    assert f'href="/issuers/{staff.issuer.entity_id}/"' in html
    assert f'href="/issuers/{second.issuer.entity_id}/"' in html
    assert "Someone Else" not in html


def test_the_dashboard_shows_templates_balance_batches_and_assign_links(client, issuer, template):
    AssertionFactory(template=template, recipient_email="x@example.org")
    page = client.get(f"/issuers/{issuer.entity_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Python Fundamentals" in html
    assert f"?template={template.entity_id}" in html
    assert ">500<" in html.replace(" ", "")
    assert "Ask for more" in html  # owners ask the operators, who top up
    assert "x@example.org" in html or "Recent badges" in html


def test_another_issuers_dashboard_is_a_404_and_a_visitor_signs_in(client, issuer):
    assert client.get(f"/issuers/{IssuerFactory().entity_id}/").status_code == 404
    client.logout()
    response = client.get(f"/issuers/{issuer.entity_id}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_dashboard_lists_running_assignments(client, issuer, template):
    rows = [{"email": f"r{i}@example.org", "first_name": "R", "last_name": "R"} for i in range(101)]
    # the worker has not started it yet (the task is enqueued only on commit)
    batch = batch_assign(template=template, rows=rows).batch
    html = client.get(f"/issuers/{issuer.entity_id}/").content.decode()
    assert 'data-testid="running-batches"' in html
    assert f"/batches/{batch.entity_id}/" in html
    assert "0 of 101 issued" in html


def test_the_email_settings_page_saves_the_issuers_words_and_shows_the_email(
    client, issuer, template
):
    page = f"/issuers/{issuer.entity_id}/emails/"
    assert client.get(page).status_code == 200
    refused = client.post(page, {"email_body": "{{ issuer.secret }}", "expiry_reminder_days": "0"})
    assert refused.status_code == 200
    assert "Unknown placeholder" in refused.content.decode()
    saved = client.post(
        page,
        {
            "email_subject": "Your {{ badge.name }}",
            "email_body": "Thanks, {{ earner.first_name }}.",
            "language": "it",
            "expiry_reminder_days": "14",
        },
    )
    assert saved.status_code == 302
    issuer.refresh_from_db()
    assert (issuer.email_subject, issuer.language, issuer.expiry_reminder_days) == (
        "Your {{ badge.name }}",
        "it",
        14,
    )
    shown = client.get(page)
    assert shown.context["preview"]["subject"] == "Your Python Fundamentals"
