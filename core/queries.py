"""Small helpers over querysets."""

from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import CharField, Func
from django.db.models.lookups import Exact
from django.db.models.query import (
    ModelIterable,
    ValuesIterable,
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


def _param(field, value, connection):
    """`value` as a lookup on `field` sends it (prepared by the field as the ORM prepares
    it: an entity id with a NUL byte becomes unmatchable text, for one)."""
    prepared = field.get_prep_value(value)
    return field.get_db_prep_value(prepared, connection, prepared=True)


def _sends(field, value, param, connection) -> bool:
    """Whether a lookup on `field` sends `param` for `value` (a value that is not of the
    field's kind, text for a number, is not the value of that parameter)."""
    try:
        return _param(field, value, connection) == param
    except (TypeError, ValueError, ValidationError):
        return False


class _Ambiguous(TypeError):
    """Two of a lookup's values are equal: which parameter is which cannot be told."""


def _positions(fields, values: tuple, params: list, connection) -> list[int] | None:
    """Which of `values` each of the SQL's `params` (one per condition, on `fields`) is,
    or None when one is none of them (the lookup sends something else, `%value%`)."""
    positions = []
    for field, param in zip(fields, params, strict=False):
        matching = [i for i, v in enumerate(values) if _sends(field, v, param, connection)]
        if not matching:
            return None
        if len(matching) > 1:
            raise _Ambiguous  # caught by _plan: this call is the ORM's
        positions.append(matching[0])
    if len(params) != len(values) or sorted(positions) != list(range(len(values))):
        return None
    return positions


class _Plan:
    """A lookup's SQL, its converters and (for model rows) how its row becomes objects,
    as Django's ModelIterable makes them, worked out once."""

    def __init__(self, queryset, values: tuple):
        where = queryset.query.where.children
        if len(where) != len(values) or not all(isinstance(c, Exact) for c in where):
            raise TypeError(f"{queryset.query} is not a lookup by {len(values)} value(s).")
        self.fields = [condition.lhs.output_field for condition in where]
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()  # fills compiler.select and klass_info
        self.order = _positions(self.fields, values, list(params), compiler.connection)
        if self.order is None:
            raise TypeError(f"{self.sql!r} is not a plain lookup by {values!r}.")
        if queryset._known_related_objects:
            raise TypeError("A related manager's queryset cannot be compiled once.")
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([column[0] for column in select])
        if queryset._iterable_class is ValuesListIterable:  # the row is the answer
            return
        if queryset._iterable_class is not ModelIterable:
            raise TypeError(f"{self.sql!r} is neither model rows nor plain tuples.")
        self.annotations = compiler.annotation_col_map or {}
        self.model = klass_info["model"]
        columns = klass_info["select_fields"]
        self.own = slice(columns[0], columns[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.own]]
        self.related = get_related_populators(klass_info, select, queryset.db)

    def rows(self, values: tuple, using) -> list[tuple]:
        """The lookup's rows for `values`, converted."""
        connection = connections[using]
        params = [
            _param(field, values[i], connection)
            for field, i in zip(self.fields, self.order, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        return [_converted(row, self.converters, connection) for row in rows]

    def row(self, values: tuple, using):
        """The lookup's row for `values`, converted, or None."""
        rows = self.rows(values, using)
        return rows[0] if rows else None


_PLANS: dict = {}


def _plan(
    key, model, build, values: tuple, *, first=True, for_write=False
) -> tuple[_Plan | None, str]:
    """The plan of `key` on the database `model` is read from (written to, `for_write`:
    a lookup that locks its rows, as the ORM sends those), made from `build()` (a
    queryset) the first time: its first row only, unsorted, or (`first=False`) its rows.
    None when it cannot be made from these values (two are equal): ask the ORM this once."""
    using = router.db_for_write(model) if for_write else router.db_for_read(model)
    plan = _PLANS.get((key, using))
    if plan is None:
        queryset = build().order_by()[:1] if first else build()
        try:
            plan = _PLANS[(key, using)] = _Plan(queryset.using(using), values)
        except _Ambiguous:
            return None, using
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
        (pk,),
    )
    return plan.row((pk,), using)


_MODELS: dict = {}


def _target(build, values: tuple):
    """(model, whether it locks rows) of the querysets `build` makes, read once."""
    target = _MODELS.get(build)
    if target is None:
        queryset = build(*values)
        target = _MODELS[build] = (queryset.model, queryset._for_write)
    return target


def unique_compiled(build, *values):
    """`unique_or_none(build(*values))`, with the SQL and the way its row becomes objects
    (select_related ones included) worked out at the first call per `build` and database
    and reused after: building and compiling a queryset costs more CPU than reading one
    row by its key, and every API request makes such lookups (its token, its template,
    the earner an award locks).

    `build` is a module-level function of the lookup's values returning the queryset: a
    plain filter by each value (`field=value`, its only SQL parameters), such as
    `lambda key: Token.objects.select_related("user").filter(checksum=key)`. Which value
    each parameter is, is told at the first call by the values themselves; when two are
    equal then, that call is the ORM's and the next one compiles."""
    model, for_write = _target(build, values)
    plan, using = _plan(build, model, lambda: build(*values), values, for_write=for_write)
    if plan is None:
        return unique_or_none(build(*values).using(using))
    row = plan.row(values, using)
    if row is None:
        return None
    obj = plan.model.from_db(using, plan.init_list, row[plan.own])
    for populator in plan.related:
        populator.populate(row, obj)
    for name, position in plan.annotations.items():
        setattr(obj, name, row[position])
    return obj


def rows_compiled(build, *values) -> list[tuple]:
    """`list(build(*values))` for a `values_list` lookup (`build` as for
    `unique_compiled`), its SQL compiled at the first call per `build` and database: for
    the few rows every request reads, such as the memberships of the request's user."""
    model, for_write = _target(build, values)
    plan, using = _plan(
        ("rows", build), model, lambda: build(*values), values, first=False, for_write=for_write
    )
    if plan is None:
        return list(build(*values).using(using))
    if hasattr(plan, "model"):
        raise TypeError("rows_compiled reads values_list rows.")
    return plan.rows(values, using)


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _other(value, taken: list):
    """A value of `value`'s kind that is none of `taken`: what a query built from it
    sends where it sends `value` is then told apart from everything else it sends."""
    if value is None:
        return None  # unused: a lookup of None is IS NULL, no parameter
    if isinstance(value, bool):
        raise TypeError(f"{value!r}: a flag belongs in the shape of a compiled query.")
    if isinstance(value, int):
        step = 1
    elif isinstance(value, str):
        step = "\x01"
    elif isinstance(value, datetime):
        step = timedelta(microseconds=1)
    else:
        raise TypeError(f"{value!r}: a compiled query's values are numbers, text or times.")
    other = value + step
    while any(_same(other, t) for t in taken):
        other += step
    return other


class _Shape:
    """A queryset's SQL, which of its parameters are which of the values it was built
    from (the rest are its constants), its converters and its rows' names: worked out
    by building it twice, from the values and from others that equal nothing it sends,
    and comparing what the two send."""

    def __init__(self, build, values: tuple, using: str):
        queryset = build(*values).using(using)
        if queryset._iterable_class is not ValuesIterable or queryset.query.combinator:
            raise TypeError("values_compiled reads the rows of a plain .values() queryset.")
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        taken = [*values, *params]
        others = []
        for value in values:
            others.append(_other(value, taken))
            taken.append(others[-1])
        sql, other_params = build(*others).using(using).query.get_compiler(using=using).as_sql()
        if sql != self.sql or len(params) != len(other_params):
            raise TypeError(f"{self.sql!r}: its SQL depends on the values it is built from.")
        self.sends = []  # per parameter: (True, index of the value) or (False, constant)
        for param, other in zip(params, other_params, strict=True):
            if _same(param, other):
                self.sends.append((False, param))
                continue
            sent = [
                i
                for i, (v, o) in enumerate(zip(values, others, strict=True))
                if _same(param, v) and _same(other, o)
            ]
            if len(sent) != 1:
                raise TypeError(f"{self.sql!r} sends {param!r}, which is none of {values!r}.")
            self.sends.append((True, sent[0]))
        query = queryset.query
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        if len(self.names) != len(compiler.select):
            raise TypeError(f"{self.sql!r} selects more than its rows' values.")
        self.converters = compiler.get_converters([column[0] for column in compiler.select])

    def rows(self, values: tuple, using: str, limit: int | None) -> list[dict]:
        connection = connections[using]
        params = [values[x] if is_value else x for is_value, x in self.sends]
        sql = self.sql
        if limit is not None:
            sql, params = f"{sql} LIMIT %s", [*params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [_converted(row, self.converters, connection) for row in rows]
        return [dict(zip(self.names, row, strict=True)) for row in rows]


def values_compiled(build, *values, shape: dict | None = None, limit=None) -> list[dict]:
    """`list(build(*values, **shape)[:limit])` for a `.values()` queryset, with its SQL
    compiled at the first call per `build`, `shape` and database and reused after: for
    lists whose filters and columns cost more to build and compile than to read (a `/v2`
    page of 100 badges spent half its own time there).

    `build` is a module-level function; `shape` (hashable values) holds what changes
    the SQL (flags, an ordering), `values` what the query sends as they are (numbers,
    text, times: normalise text first) or None; the SQL may depend on which values are
    None (a filter left out), on nothing else of them. Any other parameter of the SQL is
    a constant of the query. A builder whose SQL depends on its values otherwise, or
    that sends one of them changed (`%value%`), is refused with a TypeError. PostgreSQL
    only: elsewhere (SQLite, which sends times as text) the ORM reads the rows."""
    shape = shape or {}
    nones = tuple(value is None for value in values)
    key = ("values", build, tuple(sorted(shape.items())), nones)
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = build(*values, **shape).model
    using = router.db_for_read(model)
    if connections[using].vendor != "postgresql":  # (SQLite sends times as text)
        queryset = build(*values, **shape).using(using)
        return list(queryset if limit is None else queryset[:limit])
    plan = _PLANS.get((key, using))
    if plan is None:
        plan = _PLANS[(key, using)] = _Shape(partial(build, **shape), values, using)
    return plan.rows(values, using, limit)


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


class JsonText(Func):
    """A JSON column's value (or a key of it) as the text PostgreSQL writes it, for a
    list that sends it on unchanged (`orjson.Fragment`): decoding each row's JSON in
    Python only for the renderer to write it out again was a sixth of a `/v2` list's
    own work. The same JSON, spaced as PostgreSQL writes it (`{"a": 1}` where orjson
    writes `{"a":1}`). SQL NULL stays None; PostgreSQL only (`supported`)."""

    output_field = CharField()
    template = "(%(expressions)s)::text"
    supported = IsoZ.supported
