"""Inserting many rows of one model in one statement, faster than `bulk_create`.

On PostgreSQL `bulk_create` sends each column as an array that psycopg writes out in
Python, element by element, escaping each string with a regular expression: that was
about a third of a 10,000-badge assignment. Here the rows travel as one JSON document
(written by orjson) and PostgreSQL unpacks it with `json_populate_recordset` into the
table's own column types, in one `INSERT ... SELECT ... RETURNING`. It can skip rows
that conflict with existing ones (`ON CONFLICT DO NOTHING`) and still say which rows
it inserted, which `bulk_create(ignore_conflicts=True)` cannot. From COPY_FROM rows on,
rows that may not conflict go in by COPY instead, in the same form (`_copy`), with keys
drawn from the table's sequence first.

Values are prepared by the model fields as for any save (defaults, `auto_now`, foreign
keys); constraints are checked as for any INSERT. Other databases (SQLite for `make
run`) get `bulk_create`.
"""

import datetime as dt
import functools
import inspect
import json
import time
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db import connections, models, router
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

# How each kind of field's value goes into the JSON document without asking the field:
# the types whose value `get_prep_value` gives back unchanged, per implementation (a
# subclass that prepares its values its own way, such as EntityIdField, is not here).
_UNCHANGED = {
    models.CharField.get_prep_value: (str,),  # EmailField, URLField, SlugField ...
    models.TextField.get_prep_value: (str,),
    models.BooleanField.get_prep_value: (bool,),
    models.IntegerField.get_prep_value: (int,),  # and the auto and positive ones
}
_PLAIN_PRE_SAVE = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _as_json(field):
    """How a prepared value of `field` goes into the JSON document: PostgreSQL reads
    dates, times, decimals and UUIDs from text. (Anything else JSON cannot hold, such as
    a date inside a JSONField's value, fails as it does with bulk_create.)"""
    if isinstance(field, models.DateField | models.TimeField):  # DateTimeField included
        return lambda value: None if value is None else value.isoformat()
    if isinstance(field, models.DecimalField | models.UUIDField):
        return lambda value: None if value is None else str(value)
    if isinstance(field, models.BinaryField):
        raise TypeError(f"{field} cannot be inserted through JSON.")
    return None


@dataclass(frozen=True)
class _Column:
    """One column of a row: how its value is read from an unsaved object."""

    field: models.Field
    attname: str
    now: bool  # a DateTimeField's auto_now(_add): the time of the insert
    direct: bool  # False: always through the field (a DateField's auto_now)
    relation: bool  # a foreign key: the related object's key, as a save takes it
    plain: bool  # direct and no relation: the attribute's value is what pre_save gives
    unchanged: tuple  # value types that go in as they are
    aware: bool  # a datetime that must be aware (USE_TZ), else get_prep_value makes it so
    text: bool  # get_prep_value gives any str back as it is, a subclass too
    convert: object  # see _as_json

    def value(self, obj, operation: str, now):
        """What `field.get_prep_value(field.pre_save(obj, add=True))` gives, converted
        for JSON; worked out here without the calls for the common types (a third of a
        large assignment went into those calls)."""
        if self.now:
            setattr(obj, self.attname, now)
            return now.isoformat()
        values = obj.__dict__
        if not self.direct or self.attname not in values:  # (or deferred)
            return self._prepared(obj)
        value = values[self.attname]  # what pre_save gives for a plain column
        if self.relation:
            value = self._related(obj, value, operation)
        return self.given(value)

    def given(self, value):
        """What `field.get_prep_value(value)` gives, converted for JSON: `value` given
        for the column's attribute (a foreign key's key, not its object)."""
        if value is None:
            return None
        if type(value) in self.unchanged and not (self.aware and value.tzinfo is None):
            return value if self.convert is None else self.convert(value)
        if self.text and isinstance(value, str):
            return value  # a text choice's member: JSON writes it as the text it is
        # anything else through the field (a naive time is made aware, with a warning)
        value = self.field.get_prep_value(value)
        return value if self.convert is None else self.convert(value)

    def _prepared(self, obj):
        value = self.field.get_prep_value(self.field.pre_save(obj, add=True))
        return value if self.convert is None else self.convert(value)

    def _related(self, obj, value, operation: str):
        """Model._prepare_related_fields_for_save, for this one field."""
        field = self.field
        related = obj._state.fields_cache.get(field.cache_name)
        if not related:
            return value
        if not related._is_pk_set():
            raise ValueError(
                f"{operation}() prohibited to prevent data loss due to unsaved related "
                f"object '{field.name}'."
            )
        if value in field.empty_values:
            setattr(obj, field.name, related)
            value = obj.__dict__[self.attname]
        if getattr(related, field.target_field.attname) != value:
            field.delete_cached_value(obj)
        return value


def _unchanged_types(field) -> tuple:
    if isinstance(field, models.ForeignKey):
        return _unchanged_types(field.target_field)
    if isinstance(field, models.JSONField) and (
        type(field).get_prep_value is models.Field.get_prep_value
    ):
        return (dict, list, str, int, float, bool)
    if isinstance(field, models.DateTimeField):
        return (dt.datetime,)
    if isinstance(field, models.DateField):
        return (dt.date,)
    return _UNCHANGED.get(type(field).get_prep_value, ())


@functools.cache
def _columns(model) -> list[_Column] | None:
    """The columns of `model`'s rows (its primary key left to the database), or None
    when a field's value can only be had through the field (a file, a generic relation)."""
    meta = model._meta
    columns = []
    for field in meta.concrete_fields:
        if field is meta.pk:
            continue
        if type(field).pre_save not in _PLAIN_PRE_SAVE:
            return None
        stamped = bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
        columns.append(
            _Column(
                field=field,
                attname=field.attname,
                now=stamped and isinstance(field, models.DateTimeField),
                direct=not stamped,
                relation=field.is_relation,
                plain=not stamped and not field.is_relation,
                unchanged=_unchanged_types(field),
                aware=isinstance(field, models.DateTimeField) and settings.USE_TZ,
                text=str in _unchanged_types(field),
                convert=_as_json(field),
            )
        )
    return None if meta.private_fields else columns


def _rows(objs: list, fields: list) -> list[dict]:
    """{column: value} of each object, as a save would store it, for the JSON document."""
    columns = _columns(type(objs[0]))
    if columns is None:  # the fields' own way, field by field
        converters = {f.column: convert for f in fields if (convert := _as_json(f))}
        rows = []
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="insert_many")
            row = {f.column: f.get_prep_value(f.pre_save(obj, add=True)) for f in fields}
            for column, convert in converters.items():
                row[column] = convert(row[column])
            rows.append(row)
        return rows
    now = timezone.now()
    stamp = now.isoformat()
    named = [(column.field.column, column) for column in columns]
    rows = []
    for obj in objs:  # `_Column.value`, with its two commonest cases written out here
        values = obj.__dict__
        row = {}
        for name, column in named:
            if column.now:
                setattr(obj, column.attname, now)
                row[name] = stamp
            elif column.plain and column.attname in values:
                row[name] = column.given(values[column.attname])
            else:
                row[name] = column.value(obj, "insert_many", now)
        rows.append(row)
    return rows


# orjson writes the document 4-5 times faster than json; what json refuses it refuses
# too (times and dataclasses inside a JSONField's value), and keys that are not text are
# written as text, as json writes them.
_JSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_PASSTHROUGH_DATACLASS)
)


def _json(value) -> str:
    try:
        return orjson.dumps(value, option=_JSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        # orjson cannot write an integer beyond 64 bits, which json (and the column) can
        # hold; anything json cannot write either fails there, as with bulk_create.
        return json.dumps(value)


def _target(objs: list, using):
    """(model, database alias, connection) that unsaved `objs` of one model go to."""
    model = type(objs[0])
    db = using or router.db_for_write(model)
    return model, db, connections[db]


def insert_many(
    objs: list, *, ignore_conflicts: bool = False, key: str | None = None, using=None
) -> list:
    """Insert unsaved instances of one model and set their primary keys.

    With `ignore_conflicts`, rows that would break a unique constraint are skipped and
    their objects keep no primary key; `key` (a field unique among `objs`) tells the
    inserted ones apart. Returns the objects inserted. On databases other than
    PostgreSQL objects skipped for a conflict are not told apart: none gets a key.
    """
    if not objs:
        return []
    model, db, connection = _target(objs, using)
    if connection.vendor != "postgresql":
        done = model._default_manager.using(db).bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return [] if ignore_conflicts else done
    if ignore_conflicts and key is None:
        raise TypeError("Name the `key` that tells inserted rows apart.")
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    key_field = None if key is None else meta.get_field(key)
    returned = _insert(
        connection,
        model,
        [f.column for f in fields],
        _rows(objs, fields),
        ignore_conflicts=ignore_conflicts,
        key=key_field,
    )
    if key is None:  # one row back per object, in order (as bulk_create relies on too)
        pairs = zip(objs, (row[0] for row in returned), strict=True)
    else:
        by_key = {getattr(obj, key_field.attname): obj for obj in objs}
        pairs = ((by_key[value], new_id) for new_id, value in returned)
    return _saved(pairs, pk, db)


def _saved(pairs, pk, db) -> list:
    """The objects of (object, new key) `pairs`, with their keys, saved in `db`."""
    inserted = []
    for obj, new_id in pairs:
        setattr(obj, pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = db
        inserted.append(obj)
    return inserted


# From this many rows on, rows that cannot conflict go in by COPY: PostgreSQL spends
# about half the time on 10,000 badge rows that it spends unpacking them from JSON and
# inserting them, but their keys must be drawn from the sequence first (a round trip
# that one row does not repay).
COPY_FROM = 100


def _insert(
    connection, model, columns: list[str], rows: list[dict], *, ignore_conflicts=False, key=None
):
    """[(primary key, `key`'s value if given)] of `rows` ({column: JSON value}) inserted
    into `model`'s table, in the order of `rows` (less those skipped for a conflict): in
    one statement, or by COPY when there are many and none may conflict."""
    if not ignore_conflicts and key is None and len(rows) >= COPY_FROM:
        return [(pk,) for pk in _copy(connection, model, columns, rows)]
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    returning = quote(meta.pk.column)
    if key is not None:
        returning += ", " + quote(key.column)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} "
        f"FROM json_populate_recordset(NULL::{table}, %s) "
        f"{'ON CONFLICT DO NOTHING ' if ignore_conflicts else ''}RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_json(rows)])
        return cursor.fetchall()


def _copy(connection, model, columns: list[str], rows: list[dict]) -> list[int]:
    """The keys of `rows` ({column: JSON value}) put into `model`'s table by COPY, keys
    drawn from the table's sequence first, as an INSERT would draw them. A row that breaks
    a constraint fails the whole COPY, as it fails an INSERT. When the connection logs its
    queries (DEBUG, tests counting them), the COPY is logged as one statement."""
    meta = model._meta
    quote = connection.ops.quote_name
    names = [meta.pk.column, *columns]
    by_column = {f.column: f for f in meta.concrete_fields}
    json_at = [i for i, name in enumerate(names) if isinstance(by_column[name], models.JSONField)]
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    with connection.cursor() as cursor:
        # The sequence is looked up once: as an argument of nextval the lookup ran for
        # every key drawn (a catalogue read each, 6 times the cost of drawing the keys).
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        keys = [row[0] for row in cursor.fetchall()]
        start = time.monotonic()
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for key, row in zip(keys, rows, strict=True):
                values = [key, *(row[column] for column in columns)]
                for i in json_at:  # the document a jsonb column reads
                    if values[i] is not None:
                        values[i] = _json(values[i])
                copy.write_row(values)
    if connection.queries_logged:
        took = time.monotonic() - start
        connection.queries_log.append({"sql": f"{sql} ({len(rows)} rows)", "time": f"{took:.3f}"})
    return keys


@functools.cache
def _defaults(model) -> tuple[dict, dict, list]:
    """What a new instance of `model` gives the fields a row leaves out: ({attname:
    a value, the same for every row}, {attname: a callable default, called per row},
    [attnames of the times of the insert (auto_now, auto_now_add)])."""
    fixed, called, stamped = {}, {}, []
    for column in _columns(model) or ():
        field = column.field
        if column.now:
            stamped.append(column.attname)
        elif not column.direct:
            raise TypeError(f"{field} takes its value from the field; give its rows as objects.")
        elif field.has_default() and callable(field.default):
            called[column.attname] = field.default
        else:
            fixed[column.attname] = column.given(field.get_default())
    return fixed, called, stamped


def insert_rows(model, rows: list[dict], *, using=None) -> list[int]:
    """Insert rows of `model` given as {field attname: value} (a foreign key by its key,
    `assertion_id`) without making an instance of each: for many rows whose objects
    the caller does not need. A field a row leaves out takes its default, as on a new
    instance; `auto_now(_add)` times are the time of the insert. Values are prepared by
    their fields as for a save. Returns the new primary keys, in the order of `rows`.
    """
    if not rows:
        return []
    db = using or router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        made = model._default_manager.using(db).bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in made]
    columns = _columns(model)
    if columns is None:
        raise TypeError(f"{model.__name__} has fields only their objects can prepare.")
    fixed, called, stamped = _defaults(model)
    given = {column.attname: column for column in columns}
    now = timezone.now().isoformat()
    unknown = {name for row in rows for name in row} - given.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
    prepared = []
    for row in rows:
        values = dict(fixed)
        for name, default in called.items():
            if name not in row:
                values[name] = given[name].given(default())
        for name, value in row.items():
            values[name] = given[name].given(value)
        for name in stamped:  # as a save: whatever the row says
            values[name] = now
        prepared.append(values)
    names = [column.attname for column in columns]
    by_column = [column.field.column for column in columns]
    if names != by_column:  # a db_column: the document speaks the table's names
        prepared = [{c: row[n] for n, c in zip(names, by_column, strict=True)} for row in prepared]
    return [row[0] for row in _insert(connection, model, by_column, prepared)]


# Defaults that are the same value for every instance and cannot be changed in place.
_IMMUTABLE = (type(None), str, int, float, bool, bytes, dt.date, dt.time, dt.timedelta)


_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


@functools.cache
def _layout(model) -> tuple[dict, list, list, tuple | None]:
    """For `instances`: ({name or attname: (position, the foreign key when a related
    object is given by its name)}, [each concrete field's default when fixed, else None],
    [(position, callable) of the defaults made per instance], the concrete fields'
    attnames when each is a plain attribute of the instance, else None)."""
    position, fixed, made = {}, [], []
    fields = model._meta.concrete_fields
    plain = model.__init__ is models.Model.__init__ and all(
        type(inspect.getattr_static(model, field.attname, None)) in _PLAIN_ATTRIBUTES
        for field in fields
    )
    for i, field in enumerate(fields):
        position[field.attname] = (i, None)
        if field.is_relation:
            position[field.name] = (i, field)
        default = field.get_default()
        if isinstance(default, _IMMUTABLE) and not (
            field.has_default() and callable(field.default)
        ):
            fixed.append(default)
        else:
            fixed.append(None)
            made.append((i, field.get_default))
    return position, fixed, made, tuple(f.attname for f in fields) if plain else None


def instances(model, rows) -> list:
    """Unsaved instances of `model`, one per row of {field name: value}, as `model(**row)`
    makes them: a field a row leaves out takes its default, a foreign key given by its
    object (`earner=`) is remembered on the instance, given by its key (`earner_id=`) it
    is not. Several times faster for many rows: `model(**row)` passes each value through
    the model's attribute machinery (a foreign key's descriptor checks the object's model
    and database), which was a fifth of a 10,000-badge assignment's Python time; here the
    values go in by position, as Django makes the instances of a query's rows; and when
    the model keeps Django's `__init__`, nothing listens to its pre_init and post_init
    signals and no field has an attribute of its own kind (a file's), straight into the
    instance's attributes, which is all `Model.__init__` would do, in a third of its time.
    """
    position, fixed, made, attnames = _layout(model)
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        attnames = None
    result = []
    for row in rows:
        values = list(fixed)
        given = set()
        related = []
        for name, value in row.items():
            try:
                i, relation = position[name]
            except KeyError:
                raise TypeError(f"{model.__name__} has no field {name}.") from None
            if relation is not None:
                if value is not None and not isinstance(value, relation.related_model):
                    raise ValueError(
                        f'"{model.__name__}.{name}" must be a "{relation.related_model.__name__}"'
                        f" instance, not {value!r}."
                    )
                related.append((relation, value))
                value = None if value is None else getattr(value, relation.target_field.attname)
            values[i] = value
            given.add(i)
        for i, default in made:
            if i not in given:
                values[i] = default()
        if attnames is None:
            obj = model(*values)
        else:
            obj = model.__new__(model)
            obj._state = ModelState()
            obj.__dict__.update(zip(attnames, values, strict=True))
        for relation, value in related:
            relation.set_cached_value(obj, value)
        result.append(obj)
    return result


def copy_many(objs: list, *, using=None) -> list:
    """Insert unsaved instances of one model with PostgreSQL's COPY, however few, and set
    their primary keys: `insert_many` for rows that cannot conflict, as it does from
    COPY_FROM rows on. Other databases get `bulk_create`."""
    if not objs:
        return []
    model, db, connection = _target(objs, using)
    if connection.vendor != "postgresql":
        return model._default_manager.using(db).bulk_create(objs)
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    keys = _copy(connection, model, [f.column for f in fields], _rows(objs, fields))
    return _saved(zip(objs, keys, strict=True), pk, db)
