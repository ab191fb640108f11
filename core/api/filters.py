"""django-filter pieces shared by the /api/v1 FilterSets."""

import datetime as dt

from django import forms
from django.db.models import Q, Subquery
from django_filters import rest_framework as filters

from core.timefmt import UTC, parse_datetime


class V1DateTimeFormField(forms.CharField):
    """Text checked as an /api/v1 timestamp; the zone is applied by the filter."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            parse_datetime(value, UTC)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value.strip()


def _has_offset(text: str) -> bool:
    return dt.datetime.fromisoformat(text).tzinfo is not None


class V1DateTimeFilter(filters.Filter):
    """A bound on a timestamp, given as `YYYY-MM-DD HH:MM:SS`, a date, or ISO 8601.

    `zone="utc"`: a time without an offset is UTC. `zone="issuer"`: it is read in the
    time zone of each row's issuer (`zone_field`, e.g. "organization__timezone"), as the
    API shows that field, so "2024-05-01 00:00:00" means midnight where each issuer is.
    The zones come from the FilterSet's `issuer_zones()`: the issuers the caller can see
    (issuers.api.v1.filters.IssuerZonesMixin, one small query).
    """

    field_class = V1DateTimeFormField

    def __init__(self, *args, zone: str = "utc", zone_field: str = "", **kwargs):
        self.zone = zone
        self.zone_field = zone_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        lookup = f"{self.field_name}__{self.lookup_expr}"
        if self.zone != "issuer" or _has_offset(value):
            return qs.filter(**{lookup: parse_datetime(value, UTC)})
        condition = Q()
        for zone in self.parent.issuer_zones():
            condition |= Q(**{self.zone_field: zone, lookup: parse_datetime(value, zone)})
        return qs.filter(condition) if condition else qs.none()


class StableOrderingFilter(filters.OrderingFilter):
    """Ordering with the primary key as the last key, so pages never overlap."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            last = value[-1] if isinstance(value, list | tuple) else value
            direction = "-" if str(last).startswith("-") else ""
            qs = qs.order_by(*qs.query.order_by, f"{direction}pk")
        return qs


class StrictBooleanFilter(filters.ChoiceFilter):
    """`1`/`true` or `0`/`false`; anything else is a 400 (django-filter's BooleanFilter
    would silently ignore it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(v, v) for v in ("1", "0", "true", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{self.field_name: value in ("1", "true")})


class EntityIdFilter(filters.CharFilter):
    """Rows whose foreign key `field_name` (a key, not a path) points at the row with
    this entity id, as `key_id = (SELECT id ... WHERE entity_id = ...)`. PostgreSQL runs
    that once and then reads an index led by the key in its own order; through a join
    (`key__entity_id`) it must fetch all the rows and sort them for one page."""

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        related = qs.model._meta.get_field(self.field_name).related_model
        target = related._default_manager.filter(entity_id=value).values("pk")[:1]
        return qs.filter(**{self.field_name: Subquery(target)})
