"""Small helpers over querysets."""

from django.db import connections, router
from django.db.models import CharField, Func
from django.db.models.lookups import Exact
from django.db.models.query import (
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)


def unique_or_none(queryset):
    """The one row of a lookup by a unique key, or None.

    `QuerySet.first()` orders by the model's ordering (or the primary key) before taking
    its row, which a unique lookup does not need: compiling that ORDER BY was a tenth of
    an award's CPU in the request's few such lookups (`make bench`, py-spy on the
    gunicorn workers). Only for lookups that match at most one row.
    """
    return next(iter(queryset.order_by()[:1]), None)


def _converted(row, converters, connection) -> tuple:
    """`row` with each value passed through the ORM's converters for its column."""
    row = list(row)
    for position, (functions, expression) in converters.items():
        for convert in functions:
            row[position] = convert(row[position], expression, connection)
    return tuple(row)


class _Plan:
    """A lookup's SQL, its converters and (for model rows) how its row becomes objects,
    as Django's ModelIterable makes them, worked out once."""

    def __init__(self, queryset, value):
        where = queryset.query.where.children
        if len(where) != 1 or not isinstance(where[0], Exact):
            raise TypeError(f"{queryset.query} is not a lookup by one value.")
        self.field = where[0].lhs.output_field
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()  # fills compiler.select and klass_info
        if list(params) != [self.param(value, compiler.connection)]:
            raise TypeError(f"{self.sql!r} is not a plain lookup by {value!r}.")
        if queryset._known_related_objects:
            raise TypeError("A related manager's queryset cannot be compiled once.")
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([column[0] for column in select])
        if queryset._iterable_class is ValuesListIterable:  # the row is the answer
            return
        if queryset._iterable_class is not ModelIterable or compiler.annotation_col_map:
            raise TypeError(f"{self.sql!r} is neither model rows nor plain tuples.")
        self.model = klass_info["model"]
        columns = klass_info["select_fields"]
        self.own = slice(columns[0], columns[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.own]]
        self.related = get_related_populators(klass_info, select, queryset.db)

    def param(self, value, connection):
        """`value` as the lookup sends it (prepared by its field as the ORM prepares it:
        an entity id with a NUL byte becomes unmatchable text, for one)."""
        prepared = self.field.get_prep_value(value)
        return self.field.get_db_prep_value(prepared, connection, prepared=True)

    def rows(self, value, using) -> list[tuple]:
        """The lookup's rows for `value`, converted."""
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [self.param(value, connection)])
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        return [_converted(row, self.converters, connection) for row in rows]

    def row(self, value, using):
        """The lookup's row for `value`, converted, or None."""
        rows = self.rows(value, using)
        return rows[0] if rows else None


_PLANS: dict = {}


def _plan(key, model, build, value, *, first: bool = True) -> tuple[_Plan, str]:
    """The plan of `key` on the database `model` is read from, made from `build()` (a
    queryset) the first time: its first row only, unsorted, or (`first=False`) its rows."""
    using = router.db_for_read(model)
    plan = _PLANS.get((key, using))
    if plan is None:
        queryset = build().order_by()[:1] if first else build()
        plan = _PLANS[(key, using)] = _Plan(queryset.using(using), value)
    return plan, using


def values_by_pk(model, pk, fields: tuple[str, ...]):
    """The values of `fields` (concrete fields) of `model`'s row `pk`, as a tuple, or
    None: `filter(pk=pk).values_list(*fields).first()` with its SQL compiled once per
    model, fields and database instead of at every call (building and compiling a
    queryset costs several times the read of one row by its key on PostgreSQL; an award
    makes such a read in every request). Values are converted as the ORM would."""
    plan, using = _plan(
        (model, fields),
        model,
        lambda: model._default_manager.filter(pk=pk).values_list(*fields),
        pk,
    )
    return plan.row(pk, using)


_MODELS: dict = {}


def unique_compiled(build, value):
    """`unique_or_none(build(value))`, with the SQL and the way its row becomes objects
    (select_related ones included) worked out at the first call per `build` and database
    and reused after: building and compiling a queryset costs more CPU than reading one
    row by its key, and every API request makes such lookups (its token, its template).

    `build` is a module-level function of the lookup's value returning the queryset: a
    plain filter by that one value (its only SQL parameter), such as
    `lambda key: Token.objects.select_related("user").filter(checksum=key)`. One value
    only: with several, equal values at the first call could hide their order."""
    model = _MODELS.get(build)
    if model is None:
        model = _MODELS[build] = build(value).model
    plan, using = _plan(build, model, lambda: build(value), value)
    row = plan.row(value, using)
    if row is None:
        return None
    obj = plan.model.from_db(using, plan.init_list, row[plan.own])
    for populator in plan.related:
        populator.populate(row, obj)
    return obj


def rows_compiled(build, value) -> list[tuple]:
    """`list(build(value))` for a `values_list` lookup by one value (`build` as for
    `unique_compiled`), its SQL compiled at the first call per `build` and database: for
    the few rows every request reads, such as the memberships of the request's user."""
    model = _MODELS.get(build)
    if model is None:
        model = _MODELS[build] = build(value).model
    plan, using = _plan(("rows", build), model, lambda: build(value), value, first=False)
    if hasattr(plan, "model"):
        raise TypeError("rows_compiled reads values_list rows.")
    return plan.rows(value, using)


class IsoZ(Func):
    """A timestamp as `core.timefmt.format_iso_z` writes it (`2026-06-30T21:59:59Z`),
    written by PostgreSQL: a list of thousands of badges then reads text instead of
    making, converting to UTC and formatting three datetimes a row in Python (a third of
    a `/v2` list's time). Whole seconds, cut as format_iso_z cuts them; NULL stays NULL.
    PostgreSQL only (`supported`)."""

    output_field = CharField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

    @staticmethod
    def supported(connection) -> bool:
        return connection.vendor == "postgresql"


class UtcText(Func):
    """A timestamp as `YYYY-MM-DD HH:MM:SS` in UTC (`core.timefmt.format_v1`'s format),
    written by PostgreSQL: an export of a million badges then reads text instead of
    three million datetimes, which psycopg makes in Python through Django's loader.
    Whole seconds, cut; NULL stays NULL. PostgreSQL only (`supported`)."""

    output_field = CharField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    supported = IsoZ.supported
