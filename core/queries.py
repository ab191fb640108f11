"""Small helpers over querysets."""


def unique_or_none(queryset):
    """The one row of a lookup by a unique key, or None.

    `QuerySet.first()` orders by the model's ordering (or the primary key) before taking
    its row, which a unique lookup does not need: compiling that ORDER BY was a tenth of
    an award's CPU in the request's few such lookups (`make bench`, py-spy on the
    gunicorn workers). Only for lookups that match at most one row.
    """
    return next(iter(queryset.order_by()[:1]), None)
