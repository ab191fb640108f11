"""Small helpers over querysets."""

from django.db import connections, router


def unique_or_none(queryset):
    """The one row of a lookup by a unique key, or None.

    `QuerySet.first()` orders by the model's ordering (or the primary key) before taking
    its row, which a unique lookup does not need: compiling that ORDER BY was a tenth of
    an award's CPU in the request's few such lookups (`make bench`, py-spy on the
    gunicorn workers). Only for lookups that match at most one row.
    """
    return next(iter(queryset.order_by()[:1]), None)


_VALUES_SQL: dict = {}


def values_by_pk(model, pk, fields: tuple[str, ...]):
    """The values of `fields` (concrete fields) of `model`'s row `pk`, as a tuple, or
    None: `filter(pk=pk).values_list(*fields).first()` with its SQL compiled once per
    model, fields and database instead of at every call (building and compiling a
    queryset costs several times the read of one row by its key on PostgreSQL; an award
    makes such a read in every request). Values are converted as the ORM would."""
    using = router.db_for_read(model)
    key = (model, fields, using)
    if key not in _VALUES_SQL:
        query = model._default_manager.using(using).filter(pk=0).order_by().values_list(*fields)
        compiler = query[:1].query.get_compiler(using)
        sql, params = compiler.as_sql()
        if list(params) != [0]:
            raise TypeError(f"Unexpected parameters {params!r} in {sql!r}.")
        selected = [expression for expression, _sql, _alias in compiler.select]
        converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(selected).items()
        ]
        _VALUES_SQL[key] = (sql, converters)
    sql, converters = _VALUES_SQL[key]
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None or not converters:
        return row
    row = list(row)
    for position, functions, expression in converters:
        for convert in functions:
            row[position] = convert(row[position], expression, connection)
    return tuple(row)
