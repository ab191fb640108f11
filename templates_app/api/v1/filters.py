from django_filters import rest_framework as filters

from core.api.filters import EntityIdFilter, StableOrderingFilter, StrictBooleanFilter
from templates_app.models import BadgeTemplate, Kind


class BadgeTemplateFilterSet(filters.FilterSet):
    organization_id = EntityIdFilter(
        field_name="issuer", help_text="Templates of this organization"
    )
    archived = StrictBooleanFilter(help_text="1: only archived templates; 0: only active ones")
    kind = filters.ChoiceFilter(choices=Kind.choices, help_text="Of this kind")
    search = filters.CharFilter(
        field_name="name", lookup_expr="icontains", help_text="Text contained in the name"
    )
    ordering = StableOrderingFilter(
        fields=("name", "created_at", "updated_at"),
        help_text="A field to sort by, '-' first for descending (default name)",
    )

    class Meta:
        model = BadgeTemplate
        fields = []
