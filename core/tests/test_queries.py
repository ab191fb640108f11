"""core.queries: unique lookups without a sort, and narrow reads by primary key, lookups
and lists whose SQL is compiled once."""

import pytest
from django.db import connection
from django.db.models.fields.json import KeyTransform
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from core import queries
from core.queries import (
    rows_compiled,
    unique_compiled,
    unique_or_none,
    values_by_pk,
    values_compiled,
)
from earners.models import Earner
from earners.tests.factories import EarnerFactory
from issuers.models import IssuerMembership, Role
from issuers.tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db


def test_unique_or_none_finds_the_row_or_none_without_sorting():
    # Given an earner (Earner is ordered by email)
    earner = EarnerFactory()
    # When it is looked up by its unique id, and a missing id is
    with CaptureQueriesContext(connection) as ctx:
        found = unique_or_none(Earner.objects.filter(entity_id=earner.entity_id))
        missing = unique_or_none(Earner.objects.filter(entity_id="nope"))
    # Then the row and None come back, and neither statement sorts
    assert (found, missing) == (earner, None)
    assert [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]] == []


FIELDS = ("status", "is_private", "emitted_at", "expires_at", "additional_details", "earner_id")


def test_values_by_pk_reads_what_the_orm_reads_each_time():
    # Given a badge with a datetime, a boolean, JSON and a foreign key among its fields
    badge = AssertionFactory(additional_details={"extensions": {"a": [1, 2]}})
    orm = Assertion.objects.filter(pk=badge.pk).values_list(*FIELDS).get()
    # When its values are read twice, the second time after they changed
    first = values_by_pk(Assertion, badge.pk, FIELDS)
    Assertion.objects.filter(pk=badge.pk).update(is_private=True, additional_details={"b": 1})
    second = values_by_pk(Assertion, badge.pk, FIELDS)
    # Then each read is the ORM's, values converted alike (JSON decoded, datetimes aware)
    assert first == orm
    assert second == Assertion.objects.filter(pk=badge.pk).values_list(*FIELDS).get()
    assert second[1] is True
    assert second[4] == {"b": 1}


def test_values_by_pk_compiles_its_sql_once_and_finds_no_row_for_a_missing_key(monkeypatch):
    badge = AssertionFactory()
    values_by_pk(Assertion, badge.pk, ("status",))
    compiled = queries._PLANS.copy()
    # When it is read again with the same fields, and for a key no row has
    monkeypatch.setattr(Assertion.objects, "filter", None)  # no queryset is built again
    assert values_by_pk(Assertion, badge.pk, ("status",)) == (badge.status,)
    assert values_by_pk(Assertion, badge.pk + 1000, ("status",)) is None
    assert compiled == queries._PLANS


def _badge_with_earner(entity_id):
    return Assertion.objects.select_related("earner", "organization").filter(entity_id=entity_id)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_unique_compiled_makes_the_objects_the_orm_makes_related_ones_included():
    # Given a badge whose own row and its earner's hold JSON and datetimes
    badge = AssertionFactory(additional_details={"extensions": {"a": 1}})
    Earner.objects.filter(pk=badge.earner_id).update(metadata={"cohort": "2026"})
    orm = _badge_with_earner(badge.entity_id).get()
    # When it is looked up twice through the compiled plan
    first = unique_compiled(_badge_with_earner, badge.entity_id)
    with CaptureQueriesContext(connection) as ctx:
        again = unique_compiled(_badge_with_earner, badge.entity_id)
        earner, issuer = again.earner, again.organization
    # Then the badge, its earner and its issuer are the ORM's, read in one statement
    for found in (first, again):
        assert _fields(found) == _fields(orm)
        assert _fields(found.earner) == _fields(orm.earner)
        assert _fields(found.organization) == _fields(orm.organization)
    assert earner.metadata == {"cohort": "2026"}
    assert issuer.pk == badge.organization_id
    assert len(ctx.captured_queries) == 1
    assert "ORDER BY" not in ctx.captured_queries[0]["sql"]


def test_unique_compiled_builds_the_queryset_only_at_the_first_call():
    badge = AssertionFactory()
    built = []

    def build(entity_id):
        built.append(entity_id)
        return Assertion.objects.filter(entity_id=entity_id)

    assert unique_compiled(build, badge.entity_id) == badge
    calls = len(built)
    # When it is looked up again, and a key no row has
    assert unique_compiled(build, badge.entity_id) == badge
    assert unique_compiled(build, "no-such-badge") is None
    # Then no queryset was built again
    assert len(built) == calls


def test_unique_compiled_refuses_a_lookup_whose_parameters_are_not_its_values():
    # icontains sends '%value%', not the value: such a lookup cannot be reused as is
    with pytest.raises(TypeError):
        unique_compiled(lambda v: Earner.objects.filter(email__icontains=v), "ada")


def test_unique_compiled_prepares_the_value_as_the_orm_does():
    # An entity id with a NUL byte (which PostgreSQL refuses in a query) is prepared by
    # its field into unmatchable text, through the compiled plan as through the ORM
    badge = AssertionFactory()
    assert unique_compiled(_badge_with_earner, badge.entity_id) == badge
    assert unique_compiled(_badge_with_earner, badge.entity_id + "\x00") is None


def _memberships(user_id):
    return IssuerMembership.objects.filter(user_id=user_id).values_list("issuer_id", "role")


def test_rows_compiled_reads_every_row_each_time_compiled_once():
    # Given a person in two issuers, and another in one
    first, second = IssuerFactory(), IssuerFactory()
    person, other = UserFactory(), UserFactory()
    for issuer, role in ((first, Role.OWNER), (second, Role.STAFF)):
        IssuerMembership.objects.create(issuer=issuer, user=person, role=role)
    IssuerMembership.objects.create(issuer=first, user=other, role=Role.EDITOR)
    # When each one's memberships are read, and again after one changed
    found = sorted(rows_compiled(_memberships, person.pk))
    with CaptureQueriesContext(connection) as ctx:
        others = rows_compiled(_memberships, other.pk)
    IssuerMembership.objects.filter(user=other).update(role=Role.STAFF)
    # Then each gets its own rows, as the ORM reads them, in one statement each time
    assert found == sorted(_memberships(person.pk))
    assert len(found) == 2
    assert others == [(first.pk, Role.EDITOR)]
    assert rows_compiled(_memberships, other.pk) == [(first.pk, Role.STAFF)]
    assert rows_compiled(_memberships, UserFactory().pk) == []
    assert len(ctx.captured_queries) == 1


def test_rows_compiled_refuses_model_rows():
    with pytest.raises(TypeError):
        rows_compiled(lambda user_id: IssuerMembership.objects.filter(user_id=user_id), 1)


def _earner_of(issuer_id, email):
    return Earner.objects.filter(issuer_id=issuer_id, email=email)


def _named(last_name, first_name):
    # the conditions' order (first_name, last_name) is not the arguments'
    return Earner.objects.filter(last_name=last_name, first_name=first_name)


def test_a_lookup_by_several_values_sends_each_where_it_belongs():
    # Given earners of two issuers with the same email, and two with swapped names
    first, second = IssuerFactory(), IssuerFactory()
    mine = EarnerFactory(issuer=first, email="ada@learners.example")
    theirs = EarnerFactory(issuer=second, email="ada@learners.example")
    ada = EarnerFactory(first_name="Ada", last_name="Byron")
    byron = EarnerFactory(first_name="Byron", last_name="Ada")
    # When each is looked up by its values, the second time compiled
    for _ in range(2):
        assert unique_compiled(_earner_of, first.pk, "ada@learners.example") == mine
        assert unique_compiled(_earner_of, second.pk, "ada@learners.example") == theirs
        assert unique_compiled(_earner_of, first.pk, "bob@learners.example") is None
        assert unique_compiled(_named, "Byron", "Ada") == ada
        assert unique_compiled(_named, "Ada", "Byron") == byron
    # Then a compiled call is one statement, each value where its condition wants it
    with CaptureQueriesContext(connection) as ctx:
        assert unique_compiled(_named, "Ada", "Byron") == byron
    assert len(ctx.captured_queries) == 1


def test_equal_values_at_the_first_call_are_the_orms_and_the_next_call_compiles():
    # Given a lookup whose two values are equal at its first call
    def build(last_name, first_name):
        return Earner.objects.filter(last_name=last_name, first_name=first_name)

    twin = EarnerFactory(first_name="Ada", last_name="Ada")
    other = EarnerFactory(first_name="Bo", last_name="Ada")
    # When it is looked up then, and later with other values
    assert unique_compiled(build, "Ada", "Ada") == twin
    assert not any(key == build for key, _ in queries._PLANS)
    # Then the later ones compile, each value in its place
    assert unique_compiled(build, "Ada", "Bo") == other
    assert any(key == build for key, _ in queries._PLANS)
    assert unique_compiled(build, "Bo", "Ada") is None
    assert unique_compiled(build, "Ada", "Ada") == twin


HIDDEN = "hidden@example.org"


def _page(template_pk, email, beyond, *, revoked):
    # constants among the parameters: a status, text, a JSON key of the selected columns
    badges = Assertion.objects.filter(badge_template_id=template_pk).exclude(narrative=HIDDEN)
    if not revoked:
        badges = badges.exclude(status="revoked")
    if email is not None:
        badges = badges.filter(recipient_email=email)
    badges = badges.values("pk", "recipient_email", "emitted_at", "additional_details").annotate(
        extensions=KeyTransform("extensions", "additional_details")
    )
    return badges.filter(pk__gt=beyond).order_by("pk")


def _orm_page(*values, limit=None, **shape):
    rows = list(_page(*values, **shape))
    return rows if limit is None else rows[:limit]


@pytest.fixture
def fresh_plans(monkeypatch):
    """No plan compiled by an earlier test: each test's first call compiles."""
    monkeypatch.setattr(queries, "_PLANS", {})


@pytest.mark.usefixtures("fresh_plans")
def test_values_compiled_reads_what_the_orm_reads_for_any_values():
    # Given badges of two templates, one revoked, JSON and datetimes in their rows
    first = [AssertionFactory(additional_details={"extensions": {"n": i}}) for i in range(3)]
    template = first[0].badge_template
    more = [AssertionFactory(template=template) for _ in range(2)]
    other = AssertionFactory(recipient_email=HIDDEN)  # text equal to a constant
    Assertion.objects.filter(pk=more[0].pk).update(status="revoked", revoked_at=timezone.now())
    asked = [
        ((template.pk, None, 0), {"revoked": False}, None),
        ((template.pk, None, first[0].pk), {"revoked": True}, 2),
        ((template.pk, more[1].recipient_email, 0), {"revoked": False}, None),
        ((other.badge_template_id, HIDDEN, 0), {"revoked": False}, None),
        # a value equal to another one: the template's pk is also the cursor
        ((template.pk, None, template.pk), {"revoked": True}, None),
        ((template.pk, None, 0), {"revoked": False}, 1),
    ]
    # When each page is read twice (compiled at the first call of its shape)
    for _ in range(2):
        for values, shape, limit in asked:
            # Then it is the ORM's page, values converted alike
            rows = values_compiled(_page, *values, shape=shape, limit=limit)
            assert rows == _orm_page(*values, limit=limit, **shape)
    assert values_compiled(_page, other.badge_template_id, HIDDEN, 0, shape={"revoked": False})
    assert values_compiled(_page, template.pk, None, 0, shape={"revoked": False})[0] == {
        "pk": first[0].pk,
        "recipient_email": first[0].recipient_email,
        "emitted_at": first[0].emitted_at,
        "additional_details": {"extensions": {"n": 0}},
        "extensions": {"n": 0},
    }


@pytest.mark.usefixtures("fresh_plans")
def test_values_compiled_builds_a_shape_once_and_reads_in_one_statement():
    badge = AssertionFactory()
    built = []

    def build(template_pk, beyond):
        built.append(template_pk)
        return Assertion.objects.filter(badge_template_id=template_pk, pk__gt=beyond).values("pk")

    values_compiled(build, badge.badge_template_id, 0)
    calls = len(built)
    # When it is read again with other values
    with CaptureQueriesContext(connection) as ctx:
        assert values_compiled(build, badge.badge_template_id, 0) == [{"pk": badge.pk}]
        assert values_compiled(build, badge.badge_template_id, badge.pk) == []
    # Then no queryset was built again, one statement per read
    assert len(built) == calls
    assert len(ctx.captured_queries) == 2


@pytest.mark.usefixtures("fresh_plans")
def test_values_compiled_leaves_a_filter_out_only_for_the_values_that_are_none():
    # Given a builder whose filter is left out when its value is None
    mine = AssertionFactory(recipient_email="mine@example.org")
    AssertionFactory(template=mine.badge_template)
    # When it is read without the value, then with it, then without again
    pk = mine.badge_template_id
    everyone = values_compiled(_page, pk, None, 0, shape={"revoked": True})
    only_mine = values_compiled(_page, pk, "mine@example.org", 0, shape={"revoked": True})
    # Then each read has its own SQL: the filter applies only when given
    assert len(everyone) == 2
    assert [row["pk"] for row in only_mine] == [mine.pk]
    assert len(values_compiled(_page, pk, None, 0, shape={"revoked": True})) == 2


def test_values_compiled_refuses_what_it_cannot_reuse():
    def contains(email):
        return Earner.objects.filter(email__icontains=email).values("pk")  # sends '%email%'

    def branches(number):
        return Earner.objects.filter(pk__gt=0 if number < 5 else number).values("pk")

    def flag(yes):
        return Assertion.objects.filter(is_private=yes).values("pk")

    def models(pk):
        return Earner.objects.filter(pk=pk)

    for build, value in ((contains, "ada"), (branches, 4), (flag, True), (models, 1)):
        with pytest.raises(TypeError):
            values_compiled(build, value)


@pytest.mark.usefixtures("fresh_plans")
def test_a_constant_equal_to_a_value_at_the_first_call_stays_a_constant():
    # Given a badge the builder's constant hides (its narrative is HIDDEN)
    hidden = AssertionFactory(recipient_email="x@example.org", narrative=HIDDEN)
    pk = hidden.badge_template_id
    # When the page is first read for the email HIDDEN (the constant's text), then for
    # the hidden badge's email
    assert values_compiled(_page, pk, HIDDEN, 0, shape={"revoked": True}) == []
    found = values_compiled(_page, pk, "x@example.org", 0, shape={"revoked": True})
    # Then the constant still hides the badge: only the email's parameter changed
    assert found == _orm_page(pk, "x@example.org", 0, revoked=True) == []
