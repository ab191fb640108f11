"""Issue 17, finding 10 (the wizard): a plain GET never discards an assignment in
progress. The dashboard's and the admin's "Assign" links are GETs that a second tab, a
browser's prefetch or a crawler may repeat; only a POST starts over."""

import pytest

from assign.models import WizardDraft
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    membership = MembershipFactory(role=Role.OWNER, issuer__name="Demo Academy")
    credits_top_up(issuer=membership.issuer, amount=50)
    client.force_login(membership.user)
    return membership


def start(issuer) -> str:
    return f"/issuers/{issuer.entity_id}/assign/"


def step(issuer, name) -> str:
    return f"/issuers/{issuer.entity_id}/assign/{name}/"


def draft_of(client, issuer) -> dict:
    """The answers of the draft whose id the session holds."""
    entity_id = client.session.get(f"assign:{issuer.entity_id}")
    draft = WizardDraft.objects.filter(entity_id=entity_id).first()
    return draft.data if draft is not None else {}


def enter_an_earner_and_context(client, issuer):
    earner = {"mode": "single", "first_name": "Ada", "last_name": "Lee", "email": "ada@x.org"}
    assert client.post(step(issuer, "earners"), earner).status_code == 302
    context = {"activity_title": "Spring cohort"}
    assert client.post(step(issuer, "context"), context).status_code == 302


def test_a_get_of_the_assign_link_keeps_the_draft_in_progress(client, staff):
    # given a draft with an earner and its context entered
    issuer = staff.issuer
    first = BadgeTemplateFactory(issuer=issuer, name="First")
    other = BadgeTemplateFactory(issuer=issuer, name="Other")
    client.get(f"{start(issuer)}?template={first.entity_id}")
    enter_an_earner_and_context(client, issuer)
    before = draft_of(client, issuer)
    assert before["done"] == ["earners", "context"]
    # when the assign link is opened again, with or without another template
    for query in ("", f"?template={other.entity_id}"):
        page = client.get(start(issuer) + query)
        # then the draft is untouched, and the page offers to continue it or start over
        assert page.status_code == 200
        assert draft_of(client, issuer) == before
        html = page.content.decode()
        assert "An assignment is in progress" in html
        assert step(issuer, "template") in html  # continue where it stopped
        assert 'method="post"' in html
    # and the steps already done still open
    assert client.get(step(issuer, "template")).status_code == 200


def test_starting_over_is_a_post_and_takes_the_template_asked_for(client, staff):
    # given a draft in progress for one template
    issuer = staff.issuer
    first = BadgeTemplateFactory(issuer=issuer, name="First")
    other = BadgeTemplateFactory(issuer=issuer, name="Other")
    client.get(f"{start(issuer)}?template={first.entity_id}")
    enter_an_earner_and_context(client, issuer)
    # when the person chooses to start a new one with another template
    response = client.post(start(issuer), {"template": other.entity_id})
    # then the draft is a fresh one for that template, at the first step
    assert response.status_code == 302
    assert response["Location"] == step(issuer, "earners")
    assert draft_of(client, issuer) == {"done": [], "template": other.entity_id}


def test_with_no_draft_in_progress_the_link_starts_one(client, staff):
    issuer = staff.issuer
    template = BadgeTemplateFactory(issuer=issuer)
    response = client.get(f"{start(issuer)}?template={template.entity_id}")
    assert response.status_code == 302
    assert response["Location"] == step(issuer, "earners")
    assert draft_of(client, issuer) == {"done": [], "template": template.entity_id}
