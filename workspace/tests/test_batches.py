"""The issuer's assignments on the staff pages (issue 20): newest first, each with its
counts (issued, left out, failed, emailed) and who started it, linking to its page."""

import pytest
from django.http import QueryDict

from assertions.models import AssignmentBatch
from assertions.services import batch_assign
from core.models import EmailStatus, OutboundEmail
from issuers.models import Role
from issuers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def batches_url(issuer):
    return f"/issuers/{issuer.entity_id}/assignments/"


def assign(template, actor, emails, **kwargs):
    rows = [{"email": e, "first_name": "A", "last_name": "B"} for e in emails]
    return batch_assign(template=template, rows=rows, actor=actor, **kwargs).batch


def test_the_list_shows_each_assignment_newest_first_with_its_counts(client, staff, template):
    # given an assignment that emailed two earners (one email failed) and left a row
    # out, and a later one without emails
    first = assign(
        template,
        staff.user,
        ["a@example.org", "b@example.org"],
        notify=True,
        rejected=[{"row": 4, "email": "bad", "message": "Not an email address."}],
    )
    OutboundEmail.objects.filter(assertion__recipient_email="a@example.org").update(
        status=EmailStatus.SENT
    )
    OutboundEmail.objects.filter(assertion__recipient_email="b@example.org").update(
        status=EmailStatus.FAILED
    )
    second = assign(template, staff.user, ["c@example.org"], notify=False)
    # when the list is read
    response = client.get(batches_url(template.issuer))
    # then
    assert response.status_code == 200
    batches = response.context["batches"]
    assert [b.entity_id for b in batches] == [second.entity_id, first.entity_id]
    counts = [
        (b.issued, b.rejected_count, b.failed, b.emails_sent, b.emails_failed) for b in batches
    ]
    assert counts == [(1, 0, 0, 0, 0), (2, 1, 0, 1, 1)]
    html = response.content.decode()
    assert f"/batches/{first.entity_id}/" in html
    assert staff.user.email in html
    assert "no emails" in html


def test_pages_walk_every_assignment_once_in_a_constant_number_of_queries(
    client, staff, template, django_assert_max_num_queries
):
    for i in range(3):
        assign(template, staff.user, [f"p{i}@example.org"], notify=False)
    with django_assert_max_num_queries(100) as captured:
        client.get(batches_url(template.issuer))
    small = len(captured)
    base = AssignmentBatch.objects.filter(issuer=template.issuer).first()
    copies = []
    for _i in range(60):
        base.pk = None
        base.entity_id = AssignmentBatch._meta.get_field("entity_id").default()
        copies.append(
            AssignmentBatch(
                **{
                    f.attname: getattr(base, f.attname)
                    for f in AssignmentBatch._meta.concrete_fields
                }
            )
        )
    AssignmentBatch.objects.bulk_create(copies)
    seen, params = [], {}
    for _page in range(5):
        with django_assert_max_num_queries(small):
            response = client.get(batches_url(template.issuer), params)
        seen += [b.entity_id for b in response.context["batches"]]
        if not response.context["next_url"]:
            break
        params = QueryDict(response.context["next_url"].lstrip("?"))
    assert len(seen) == len(set(seen)) == 63


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_every_member_reads_the_assignments(client, template, role):
    member = MembershipFactory(issuer=template.issuer, role=role).user
    client.force_login(member)
    assert client.get(batches_url(template.issuer)).status_code == 200


def test_another_issuers_member_gets_404(client, template):
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(batches_url(template.issuer)).status_code == 404
