"""POST /v2/badgeclasses/{entityId}/issue: Badgr's batch issue, through the one award
write path (assertions.services.assertions_issue → assertions_award)."""

import pytest
from django.core import mail

from assertions.models import Assertion
from core.models import OutboundEmail
from earners.models import Earner
from issuers.models import CreditLedgerEntry, Issuer, Role
from issuers.tests.factories import MembershipFactory
from tests.api_v2.conftest import client_for


def issue(api, template, emails, key=None, **body):
    items = [{"recipient": {"identity": email, "type": "email"}} for email in emails]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(
        f"/v2/badgeclasses/{template.entity_id}/issue",
        {"assertions": items, **body},
        format="json",
        **headers,
    )


def test_issue_to_many_charges_once_and_emails_each(
    api, template, owner, django_capture_on_commit_callbacks
):
    # Given an issuer with 50 credits
    entries_before = CreditLedgerEntry.objects.filter(issuer=owner.issuer).count()
    emails = ["ann@example.org", "bob@example.org", "cy@example.org"]
    # When its owner issues a badge class to three recipients with notifications
    with django_capture_on_commit_callbacks(execute=True):
        response = issue(api, template, emails, create_notification=True)
    # Then three badges come back in the order asked, each emailed, three credits taken in one entry
    assert response.status_code == 201, response.content
    result = response.json()["result"]
    assert [b["recipient"]["plaintextIdentity"] for b in result] == emails
    assert {b["badgeclass"] for b in result} == {template.entity_id}
    assert all(b["acceptance"] == "Unaccepted" for b in result)
    assert sorted(m.to[0] for m in mail.outbox) == emails
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 47
    assert CreditLedgerEntry.objects.filter(issuer=owner.issuer).count() == entries_before + 1


def test_badgrs_bare_list_body_is_accepted_and_notify_defaults_to_false(api, template, owner):
    body = [{"recipient": {"identity": "ann@example.org"}}]
    response = api.post(f"/v2/badgeclasses/{template.entity_id}/issue", body, format="json")
    assert response.status_code == 201, response.content
    assert len(mail.outbox) == 0
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 50


def test_one_bad_recipient_refuses_all_and_says_which(api, template):
    # When the second of three items has no valid email
    response = issue(api, template, ["ann@example.org", "not-an-email", "cy@example.org"])
    # Then nothing is issued and the error names item 2 only, nested like the body
    assert response.status_code == 400
    errors = response.json()["fieldErrors"]["assertions"]
    assert errors[0] == {}
    assert "recipient" in errors[1]
    assert errors[2] == {}
    assert not Assertion.objects.exists()


def test_a_duplicate_refuses_all_when_duplicates_are_not_allowed(api, template, owner):
    issue(api, template, ["bob@example.org"])
    response = issue(
        api, template, ["ann@example.org", "bob@example.org"], allowDuplicateAwards=False
    )
    assert response.status_code == 409
    errors = response.json()["fieldErrors"]["assertions"]
    assert errors[0] == {}
    assert "recipient" in errors[1]
    assert Assertion.objects.count() == 1


def test_without_credits_nothing_is_issued(api, template, owner):
    Issuer.objects.filter(pk=owner.issuer.pk).update(credit_balance=1)
    response = issue(api, template, ["a@example.org", "b@example.org"], notify=True)
    assert response.status_code == 402
    assert not Assertion.objects.exists()


def test_the_same_idempotency_key_answers_the_same_badges(api, template, owner):
    first = issue(api, template, ["a@example.org", "b@example.org"], key="k1", notify=True)
    again = issue(api, template, ["a@example.org", "b@example.org"], key="k1", notify=True)
    assert first.status_code == again.status_code == 201
    ids = [b["entityId"] for b in first.json()["result"]]
    assert [b["entityId"] for b in again.json()["result"]] == ids
    assert Assertion.objects.count() == 2
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 48
    other = issue(api, template, ["c@example.org"], key="k1")
    assert other.status_code == 422


def test_empty_or_too_long_lists_are_field_errors(api, template):
    assert issue(api, template, []).status_code == 400
    response = issue(api, template, [f"p{n}@example.org" for n in range(101)])
    assert response.status_code == 400
    assert "assertions" in response.json()["fieldErrors"]
    assert not Assertion.objects.exists()


@pytest.mark.parametrize("who", ["other_owner", "earner", "staff_read_scope", "anonymous"])
def test_nobody_else_issues(api, template, who, client):
    # Given someone who is not a member who may issue, or a token that may only read
    if who == "other_owner":
        caller, status = client_for(MembershipFactory(role=Role.OWNER).user), 404
    elif who == "earner":
        issue(api, template, ["earner@example.org"])
        earner = Assertion.objects.get().earner.user
        caller, status = client_for(earner), 404
    elif who == "staff_read_scope":
        staff = MembershipFactory(issuer=template.issuer, role=Role.STAFF).user
        caller, status = client_for(staff, "r:issuer"), 403
    else:
        caller, status = client, 401
    before = Assertion.objects.count()
    # When they try to issue the badge class
    response = issue(caller, template, ["mallory@example.org"])
    # Then they are refused without learning anything and nothing is issued
    assert response.status_code == status
    assert response.json()["result"] == []
    assert Assertion.objects.count() == before


def test_staff_with_the_right_scope_may_issue(template):
    staff = MembershipFactory(issuer=template.issuer, role=Role.STAFF).user
    response = issue(client_for(staff, "rw:issuer"), template, ["ann@example.org"])
    assert response.status_code == 201, response.content


def test_each_new_earner_gets_the_language_given_else_the_batchs_else_the_issuers(
    api, template, owner, django_capture_on_commit_callbacks
):
    # Given an issuer whose emails are in English by default
    Issuer.objects.filter(pk=owner.issuer.pk).update(language="en")
    items = [
        {"recipient": {"identity": "ann@example.org"}, "language": "Italiano"},
        {"recipient": {"identity": "bob@example.org"}},
    ]
    # When a batch gives one item a language and the batch another
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/v2/badgeclasses/{template.entity_id}/issue",
            {"assertions": items, "create_notification": True, "language": "en"},
            format="json",
        )
    # Then each earner has theirs, as the wizard and /api/v1 set it, and is emailed in it
    assert response.status_code == 201, response.content
    languages = dict(Earner.objects.values_list("email", "language"))
    assert languages == {"ann@example.org": "it", "bob@example.org": "en"}
    sent = {e.to_email: e.context["language"] for e in OutboundEmail.objects.all()}
    assert sent == {"ann@example.org": "it", "bob@example.org": "en"}
    # And a single award takes it too; a language that is not one is the item's field error
    single = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": "cy@example.org"}, "language": "it"},
        format="json",
    )
    assert single.status_code == 201, single.content
    assert Earner.objects.get(email="cy@example.org").language == "it"
    items = [{"recipient": {"identity": "dee@example.org"}, "language": "Klingon"}]
    response = issue_items(api, template, items)
    assert response.status_code == 400
    assert list(response.json()["fieldErrors"]["assertions"][0]) == ["language"]
    assert not Earner.objects.filter(email="dee@example.org").exists()


def issue_items(api, template, items):
    return api.post(
        f"/v2/badgeclasses/{template.entity_id}/issue", {"assertions": items}, format="json"
    )
