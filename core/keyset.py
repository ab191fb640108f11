"""Keyset pagination of lists ordered newest first by (a time, pk), descending: the
database walks its index from the last row shown, so page 1,000 costs what page 1 does
(an OFFSET reads and drops every row before it)."""


def newest_page(queryset, *, field: str, after: tuple | None, size: int):
    """One page of `queryset` (ordered -`field`, -pk) after the row whose key is `after`
    = (its `field`, its pk). Returns (rows, the key of the last row when there are more,
    else None)."""
    if after is not None:
        moment, pk = after
        # the first condition lets the index range start at `moment`
        queryset = queryset.filter(**{f"{field}__lte": moment}).exclude(
            **{field: moment, "pk__gte": pk}
        )
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, ((getattr(rows[-1], field), rows[-1].pk) if more and rows else None)
