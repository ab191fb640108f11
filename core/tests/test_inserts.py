"""core.inserts.insert_many: one INSERT of many rows, values as any save would store."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from assign.models import WizardDraft
from core.inserts import COPY_FROM, copy_many, insert_many, insert_rows, instances
from earners.models import Earner
from earners.tests.factories import EarnerFactory
from issuers.tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="elsewhere insert_many is bulk_create"
)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_read_back_exactly_as_the_objects_say_in_one_statement():
    issuer, user = IssuerFactory(), UserFactory()
    earners = [
        Earner(
            issuer=issuer,
            email=f"e{i}@learners.example",
            first_name="Zoë" if i else "",
            last_name='O\'Brien \\ "quoted"\n',
            metadata={"cohort": i, "nested": {"list": [1, None, "ü"]}} if i else {},
            user=user if i % 2 else None,
        )
        for i in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_many(earners)
    assert len(queries) == 1
    assert inserted == earners
    assert all(e.pk and not e._state.adding for e in earners)
    assert all(e.created_at and e.updated_at for e in earners)  # auto_now(_add) applied
    stored = {e.pk: e for e in Earner.objects.filter(pk__in=[e.pk for e in earners])}
    assert [_fields(stored[e.pk]) for e in earners] == [_fields(e) for e in earners]


@on_postgresql
def test_many_rows_go_in_by_copy_and_read_back_exactly():
    # Given enough rows for COPY, with text COPY escapes (tab, newline, backslash), JSON,
    # blanks, and a foreign key set or not
    issuer, user = IssuerFactory(), UserFactory()
    earners = [
        Earner(
            issuer=issuer,
            email=f"e{i}@learners.example",
            first_name="Zoë\ttab\\N" if i % 3 else "",
            last_name='O\'Brien \\ "quoted"\n\r',
            metadata={"cohort": i, "nested": {"list": [1, None, "ü\t"]}} if i % 2 else {},
            user=user if i % 2 else None,
        )
        for i in range(COPY_FROM)
    ]
    # When they are inserted
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_many(earners)
    # Then by COPY (keys drawn first), and stored as the objects say
    assert [q["sql"].split()[0] for q in queries] == ["WITH", "COPY"]
    assert inserted == earners
    stored = {e.pk: e for e in Earner.objects.filter(pk__in=[e.pk for e in earners])}
    assert [_fields(stored[e.pk]) for e in earners] == [_fields(e) for e in earners]
    # and so are rows given as rows
    rows = [{"issuer_id": issuer.pk, "email": f"r{i}@learners.example"} for i in range(COPY_FROM)]
    keys = insert_rows(Earner, rows)
    assert [e.email for e in Earner.objects.filter(pk__in=keys).order_by("pk")] == [
        row["email"] for row in rows
    ]


def test_dates_times_and_a_foreign_key_chain_survive():
    template_badge = AssertionFactory()  # a version, template, issuer and earner to point at
    later = dt.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    badges = [
        Assertion(
            badge_template_version=template_badge.badge_template_version,
            badge_template=template_badge.badge_template,
            organization=template_badge.organization,
            earner=template_badge.earner,
            recipient_email=template_badge.recipient_email,
            emitted_at=later - dt.timedelta(days=i),
            expires_at=later if i else None,
            activity_started_at=later - dt.timedelta(days=30) if i else None,
            additional_details={"grade": "A+", "score": 9.5},
            recipient_salt="s" * 32,
            recipient_hash="sha256$" + "0" * 64,
        )
        for i in range(3)
    ]
    insert_many(badges)
    for badge in badges:
        stored = Assertion.objects.get(pk=badge.pk)
        assert _fields(stored) == _fields(badge)


@on_postgresql
def test_conflicting_rows_are_skipped_and_told_apart_by_key():
    issuer = IssuerFactory()
    there = EarnerFactory(issuer=issuer, email="there@learners.example", first_name="Old")
    objs = [
        Earner(issuer=issuer, email="new@learners.example"),
        Earner(issuer=issuer, email="there@learners.example", first_name="New"),
    ]
    inserted = insert_many(objs, ignore_conflicts=True, key="email")
    assert inserted == [objs[0]]
    assert objs[0].pk
    assert objs[1].pk is None
    there.refresh_from_db()
    assert there.first_name == "Old"  # left alone
    assert Earner.objects.filter(issuer=issuer).count() == 2


def test_a_conflict_is_an_error_unless_ignored():
    there = EarnerFactory()
    with pytest.raises(IntegrityError):
        insert_many([Earner(issuer=there.issuer, email=there.email)])


@on_postgresql
def test_what_json_cannot_hold_fails_as_with_bulk_create():
    issuer = IssuerFactory()
    when = dt.date(2026, 1, 1)
    with pytest.raises(TypeError):
        insert_many([Earner(issuer=issuer, email="a@b.example", metadata={"at": when})])
    with pytest.raises(TypeError, match="key"):
        insert_many([Earner(issuer=issuer, email="a@b.example")], ignore_conflicts=True)
    assert not Earner.objects.filter(issuer=issuer).exists()


@on_postgresql
@pytest.mark.parametrize("many", [1, COPY_FROM])  # one INSERT of a document, and COPY
def test_an_integer_beyond_64_bits_is_stored_as_it_is(many):
    # orjson cannot write it (it was a 500 of an award with one in its extensions)
    issuer = IssuerFactory()
    big = {"id": 10**30, "list": [2**64, -(2**63) - 1], "small": 1}
    rows = [Earner(issuer=issuer, email=f"{i}@b.example", metadata=big) for i in range(many)]
    insert_many(rows)
    stored = Earner.objects.filter(issuer=issuer).values_list("metadata", flat=True)
    assert list(stored) == [big] * many


def test_nothing_to_insert_costs_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert insert_many([]) == []
    assert not queries


@on_postgresql
def test_copy_many_stores_what_the_objects_say_with_keys_from_the_sequence():
    issuer, user = IssuerFactory(), UserFactory()
    before = EarnerFactory(issuer=issuer)
    earners = [
        Earner(
            issuer=issuer,
            email=f"c{i}@learners.example",
            first_name="Zoë\ttab" if i else "",
            last_name='O\'Brien \\ "quoted"\n',
            metadata={"cohort": i, "nested": {"list": [1, None, "ü"]}} if i else {},
            user=user if i % 2 else None,
        )
        for i in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert copy_many(earners) == earners
    assert len(queries) == 2  # the keys drawn, then the COPY
    assert queries[1]["sql"].startswith('COPY "earners_earner" ("id", ')
    assert [e.pk for e in earners] == list(range(before.pk + 1, before.pk + 6))
    assert all(e.created_at and not e._state.adding for e in earners)
    stored = {e.pk: e for e in Earner.objects.filter(pk__in=[e.pk for e in earners])}
    assert [_fields(stored[e.pk]) for e in earners] == [_fields(e) for e in earners]
    assert EarnerFactory(issuer=issuer).pk == before.pk + 6  # the sequence moved on


@on_postgresql
def test_copy_many_fails_whole_on_a_constraint():
    issuer = IssuerFactory()
    EarnerFactory(issuer=issuer, email="taken@learners.example")
    rows = [
        Earner(issuer=issuer, email=e) for e in ("new@learners.example", "taken@learners.example")
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_many(rows)
    assert not Earner.objects.filter(email="new@learners.example").exists()


@on_postgresql
def test_values_only_a_field_can_prepare_go_through_the_field():
    # Given values that the field's own preparation changes: a lazy translated string, a
    # number in a text column, a naive time, a NUL in an
    # entity id, and a related object saved after it was assigned
    issuer = IssuerFactory()
    owner = UserFactory.build(email="late@learners.example")
    earner = Earner(
        issuer=issuer,
        email="prep@learners.example",
        first_name=gettext_lazy("Yes"),
        last_name=42,
        entity_id="abc\x00def",
        user=owner,
    )
    owner.save()  # the earner's user_id is still empty: the save sets it from the object
    badge = AssertionFactory()
    naive = dt.datetime(2030, 1, 2, 3, 4, 5)  # noqa: DTZ001 (what is tested)
    # When they are inserted
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_many([Assertion(**{**_copyable(badge), "emitted_at": naive})])
    insert_many([earner])
    # Then each is stored as a save would store it
    stored = Earner.objects.get(pk=earner.pk)
    assert (stored.first_name, stored.last_name) == ("Yes", "42")
    assert stored.entity_id == "abc\ufffddef"
    assert stored.user_id == owner.pk
    assert Assertion.objects.filter(emitted_at=naive.replace(tzinfo=dt.UTC)).exists()


@on_postgresql
def test_an_unsaved_related_object_is_refused_as_a_save_refuses_it():
    issuer = IssuerFactory()
    with pytest.raises(ValueError, match="unsaved related object 'user'"):
        insert_many([Earner(issuer=issuer, email="u@learners.example", user=UserFactory.build())])
    assert not Earner.objects.filter(issuer=issuer).exists()


def _copyable(badge) -> dict:
    """The fields of `badge` for a new badge of the same template and earner."""
    skip = {"id", "entity_id", "created_at", "updated_at"}
    return {
        f.attname: getattr(badge, f.attname)
        for f in Assertion._meta.concrete_fields
        if f.attname not in skip
    }


def test_insert_rows_stores_what_a_new_object_with_those_values_would():
    # Given rows that leave out fields with fixed, callable and auto_now defaults, name a
    # foreign key by its key, and give a lazy text
    issuer, user = IssuerFactory(), UserFactory()
    rows = [
        {"issuer_id": issuer.pk, "email": "a@learners.example", "user_id": user.pk},
        {
            "issuer_id": issuer.pk,
            "email": "b@learners.example",
            "first_name": gettext_lazy("Name"),
            "metadata": {"cohort": 2},
            "created_at": dt.datetime(2001, 1, 1, tzinfo=dt.UTC),  # auto_now_add: ignored
        },
    ]
    # When they are inserted
    with CaptureQueriesContext(connection) as queries:
        keys = insert_rows(Earner, rows)
    # Then in one statement, keys in the rows' order, each stored as Earner(**row).save()
    assert len(queries) == 1
    stored = [Earner.objects.get(pk=key) for key in keys]
    assert [e.email for e in stored] == ["a@learners.example", "b@learners.example"]
    a, b = stored
    assert (a.first_name, a.metadata, a.user_id) == ("", {}, user.pk)
    assert (b.first_name, b.metadata, b.user_id) == ("Name", {"cohort": 2}, None)
    assert a.entity_id
    assert b.entity_id != a.entity_id  # a callable default is called per row
    assert a.created_at == a.updated_at == b.created_at > dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def test_insert_rows_refuses_a_name_that_is_no_field():
    issuer = IssuerFactory()
    with pytest.raises(TypeError, match="no field emial"):
        insert_rows(Earner, [{"issuer_id": issuer.pk, "emial": "a@learners.example"}])
    assert not Earner.objects.exists()


def test_insert_rows_checks_constraints_as_an_insert_does():
    issuer = IssuerFactory()
    row = {"issuer_id": issuer.pk, "email": "a@learners.example"}
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Earner, [row, dict(row)])
    assert not Earner.objects.exists()


def _state(obj) -> dict:
    """What an unsaved instance holds: its fields' values (an entity id only by its
    form, as each instance draws its own) and the related objects it remembers."""
    values = _fields(obj)
    values["entity_id"] = len(values["entity_id"])
    return {"values": values, "related": dict(obj._state.fields_cache), "adding": obj._state.adding}


def test_instances_are_what_the_model_makes_of_the_same_row():
    # Given rows naming related objects or their keys, and leaving fields out
    issuer, user = IssuerFactory(), UserFactory()
    rows = [
        {"issuer": issuer, "email": "a@learners.example", "user": user},
        {"issuer_id": issuer.pk, "email": "b@learners.example", "metadata": {"k": 1}},
        {"issuer": issuer, "email": "c@learners.example", "user": None, "language": "it"},
    ]
    # When instances are made of them, and the model makes the same rows
    made, expected = instances(Earner, rows), [Earner(**row) for row in rows]
    # Then each holds what the model's own instance holds: defaults (a fresh dict each,
    # a new entity id each), keys, and the related objects given by name
    assert [_state(e) for e in made] == [_state(e) for e in expected]
    assert made[0].metadata == {}
    assert made[0].metadata is not made[2].metadata
    assert len({e.entity_id for e in made}) == 3
    with CaptureQueriesContext(connection) as queries:
        assert made[0].issuer is issuer
        assert made[0].user is user
    assert len(queries) == 0
    # and they save as the model's would
    insert_many(made)
    assert Earner.objects.get(pk=made[1].pk).metadata == {"k": 1}


def test_instances_refuse_what_the_model_refuses():
    issuer = IssuerFactory()
    with pytest.raises(TypeError, match="Earner has no field nickname"):
        instances(Earner, [{"issuer": issuer, "email": "a@x.example", "nickname": "A"}])
    with pytest.raises(ValueError, match='"Earner.issuer" must be a "Issuer" instance'):
        instances(Earner, [{"issuer": UserFactory(), "email": "a@x.example"}])


def test_instances_send_the_init_signals_someone_listens_to():
    # Given a receiver of Earner's post_init (instances go straight into the attributes
    # only while nobody listens)
    issuer, seen = IssuerFactory(), []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.email)

    post_init.connect(receiver, sender=Earner)
    try:
        # When instances are made
        made = instances(Earner, [{"issuer": issuer, "email": f"{n}@x.example"} for n in "ab"])
    finally:
        post_init.disconnect(receiver, sender=Earner)
    # Then the receiver saw each, as it sees the model's own
    assert seen == ["a@x.example", "b@x.example"]
    assert [e.email for e in made] == seen
    # and with nobody listening they are still the model's instances
    quiet = instances(Earner, [{"issuer": issuer, "email": "c@x.example"}])
    assert seen == ["a@x.example", "b@x.example"]
    assert _state(quiet[0]) == _state(Earner(issuer=issuer, email="c@x.example"))


def test_instances_of_a_model_with_a_file_keep_the_files_attribute():
    # Given a model whose file field has an attribute of its own (a FieldFile)
    issuer, user = IssuerFactory(), UserFactory()
    row = {"issuer": issuer, "user": user, "rows": "x/e.json", "expires_at": timezone.now()}
    # When an instance is made, it is what the model makes
    (made,) = instances(WizardDraft, [row])
    assert made.rows.name == "x/e.json"
    assert type(made.rows) is type(WizardDraft(**row).rows)
