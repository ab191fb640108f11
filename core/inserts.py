"""Inserting many rows of one model in one statement, faster than `bulk_create`.

On PostgreSQL `bulk_create` sends each column as an array that psycopg writes out in
Python, element by element, escaping each string with a regular expression: that was
about a third of a 10,000-badge assignment. Here the rows travel as one JSON document
(encoded in C) and PostgreSQL unpacks it with `json_populate_recordset` into the
table's own column types, in one `INSERT ... SELECT ... RETURNING`. It can skip rows
that conflict with existing ones (`ON CONFLICT DO NOTHING`) and still say which rows
it inserted, which `bulk_create(ignore_conflicts=True)` cannot.

Values are prepared by the model fields as for any save (defaults, `auto_now`, foreign
keys); constraints are checked as for any INSERT. Other databases (SQLite for `make
run`) get `bulk_create`.
"""

import json

from django.db import connections, models, router


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
    converters = {f.column: convert for f in fields if (convert := _as_json(f))}
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_many")
        row = {f.column: f.get_prep_value(f.pre_save(obj, add=True)) for f in fields}
        for column, convert in converters.items():
            row[column] = convert(row[column])
        rows.append(row)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    returning = quote(pk.column)
    if key is not None:
        key_field = meta.get_field(key)
        returning += ", " + quote(key_field.column)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "
        f"FROM json_populate_recordset(NULL::{table}, %s) "
        f"{'ON CONFLICT DO NOTHING ' if ignore_conflicts else ''}RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows)])
        returned = cursor.fetchall()
    if key is None:  # one row back per object, in order (as bulk_create relies on too)
        pairs = zip(objs, (row[0] for row in returned), strict=True)
    else:
        by_key = {getattr(obj, key_field.attname): obj for obj in objs}
        pairs = ((by_key[value], new_id) for new_id, value in returned)
    inserted = []
    for obj, new_id in pairs:
        setattr(obj, pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = db
        inserted.append(obj)
    return inserted


def copy_many(objs: list, *, using=None) -> list:
    """Insert unsaved instances of one model with PostgreSQL's COPY and set their
    primary keys; the fastest way in for many rows (no statement to parse, no JSON to
    unpack). The keys are drawn from the table's sequence first, as inserting would
    draw them. Values are prepared by the model fields as for any save; constraints are
    checked as for any INSERT, and a row that breaks one fails the whole COPY. Other
    databases get `bulk_create`.
    """
    if not objs:
        return []
    model, db, connection = _target(objs, using)
    if connection.vendor != "postgresql":
        return model._default_manager.using(db).bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in (pk, *fields))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        keys = [row[0] for row in cursor.fetchall()]
        copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
        with connection.wrap_database_errors, copying as copy:  # Django's IntegrityError
            for obj, key in zip(objs, keys, strict=True):
                obj._prepare_related_fields_for_save(operation_name="copy_many")
                copy.write_row(
                    (
                        key,
                        *(
                            f.get_db_prep_save(f.pre_save(obj, add=True), connection)
                            for f in fields
                        ),
                    )
                )
    for obj, key in zip(objs, keys, strict=True):
        setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = db
    return objs
