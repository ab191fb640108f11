from django.db.models import Q
from django_filters import rest_framework as filters

from core.api.filters import EntityIdFilter, StableOrderingFilter, StrictBooleanFilter
from earners.models import Earner


class EarnerFilterSet(filters.FilterSet):
    organization_id = EntityIdFilter(field_name="issuer", help_text="Earners of this organization")
    email = filters.CharFilter(method="filter_email", help_text="This email (any case)")
    has_account = StrictBooleanFilter(
        method="filter_has_account", help_text="1: only earners whose badges are kept in an account"
    )
    search = filters.CharFilter(
        method="filter_search", help_text="Text in the email, first or last name"
    )
    ordering = StableOrderingFilter(
        fields=("email", "first_name", "last_name", "created_at", "updated_at"),
        help_text="A field to sort by, '-' first for descending (default email)",
    )

    class Meta:
        model = Earner
        fields = []

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=value.strip().lower())

    def filter_has_account(self, queryset, name, value):
        return queryset.filter(user__isnull=value not in ("1", "true"))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )
