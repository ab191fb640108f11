"""The issuer's earners on the staff pages (issue 20): the list with its search and
keyset pages, and each earner's page with the badges this issuer gave them."""

import pytest
from django.http import QueryDict

from assertions.tests.factories import AssertionFactory
from core.models import new_entity_id
from earners.models import Earner
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def earners_url(issuer, suffix=""):
    return f"/issuers/{issuer.entity_id}/earners/{suffix}"


def listed(response) -> list[str]:
    return [earner.email for earner in response.context["earners"]]


def many(issuer, count: int, prefix: str = "person") -> None:
    """`count` earners inserted at once (a factory per row would take minutes)."""
    Earner.objects.bulk_create(
        [
            Earner(
                issuer=issuer,
                entity_id=new_entity_id(),
                email=f"{prefix}{i:05d}@example.org",
                first_name=f"First{i}",
                last_name=f"Last{i}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def test_the_list_searches_by_email_start_and_by_name_in_any_case(client, issuer, template):
    # given earners of this issuer (made by awards) and one of another issuer
    AssertionFactory(
        template=template,
        recipient_email="ada@example.org",
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
    )
    AssertionFactory(
        template=template,
        recipient_email="grace@example.org",
        recipient_first_name="Grace",
        recipient_last_name="Hopper",
    )
    AssertionFactory(template=BadgeTemplateFactory(), recipient_email="ada@other.org")
    # when searching, then only this issuer's matching earners show
    assert listed(client.get(earners_url(issuer), {"q": "ADA@EX"})) == ["ada@example.org"]
    assert listed(client.get(earners_url(issuer), {"q": "hop"})) == ["grace@example.org"]
    assert listed(client.get(earners_url(issuer), {"q": "GRACE"})) == ["grace@example.org"]
    assert listed(client.get(earners_url(issuer), {"q": "ada love"})) == ["ada@example.org"]
    assert listed(client.get(earners_url(issuer), {"q": "lovelace grace"})) == []
    assert listed(client.get(earners_url(issuer))) == ["ada@example.org", "grace@example.org"]
    response = client.get(earners_url(issuer), {"q": "nobody"})
    assert "No earner matches this search." in response.content.decode()


def test_a_search_too_long_is_said_on_the_form_not_a_500(client, issuer):
    response = client.get(earners_url(issuer), {"q": "x" * 300})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]


def test_keyset_pages_walk_every_earner_once(client, issuer):
    many(issuer, 120)
    seen, params = [], {}
    for _page in range(10):
        response = client.get(earners_url(issuer), params)
        seen += listed(response)
        if not response.context["next_url"]:
            break
        params = QueryDict(response.context["next_url"].lstrip("?"))
    assert seen == sorted(seen)
    assert len(set(seen)) == 120
    # a cursor that is not ours starts from the first page
    assert listed(client.get(earners_url(issuer), {"after": "forged"}))[:1] == seen[:1]


def test_the_list_and_search_take_the_same_queries_for_10_and_10000_earners(
    client, issuer, template, django_assert_max_num_queries
):
    badge = AssertionFactory(template=template, recipient_email="seed@example.org")
    many(issuer, 9)
    cases = [{}, {"q": "first1"}, {"q": "person0001"}]
    counts = []
    for params in cases:
        with django_assert_max_num_queries(100) as captured:
            assert client.get(earners_url(issuer), params).status_code == 200
        counts.append(len(captured))
    with django_assert_max_num_queries(100) as captured:
        client.get(earners_url(issuer, f"{badge.earner.entity_id}/"))
    earner_page = len(captured)
    many(issuer, 9_990, prefix="more")
    for params, small in zip(cases, counts, strict=True):
        with django_assert_max_num_queries(small):
            assert client.get(earners_url(issuer), params).status_code == 200
    with django_assert_max_num_queries(earner_page):
        client.get(earners_url(issuer, f"{badge.earner.entity_id}/"))


def test_the_earners_page_shows_their_badges_from_this_issuer(client, issuer, template):
    mine = AssertionFactory(template=template, recipient_email="ada@example.org")
    AssertionFactory(template=template, recipient_email="grace@example.org")
    other_issuer_badge = AssertionFactory(
        template=BadgeTemplateFactory(), recipient_email="ada@example.org"
    )
    response = client.get(earners_url(issuer, f"{mine.earner.entity_id}/"))
    assert response.status_code == 200
    assert [b.entity_id for b in response.context["badges"]] == [mine.entity_id]
    # the list counts them
    page = client.get(earners_url(issuer))
    assert {e.email: e.badges_count for e in page.context["earners"]}["ada@example.org"] == 1
    # another issuer's earner, though the same address, is not found here
    assert (
        client.get(earners_url(issuer, f"{other_issuer_badge.earner.entity_id}/")).status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_every_member_reads_the_earners(client, template, role):
    badge = AssertionFactory(template=template)
    member = MembershipFactory(issuer=template.issuer, role=role).user
    client.force_login(member)
    assert client.get(earners_url(template.issuer)).status_code == 200
    assert client.get(earners_url(template.issuer, f"{badge.earner.entity_id}/")).status_code == 200


def test_another_issuers_member_sees_nothing(client, template):
    badge = AssertionFactory(template=template)
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(earners_url(template.issuer)).status_code == 404
    assert client.get(earners_url(template.issuer, f"{badge.earner.entity_id}/")).status_code == 404
