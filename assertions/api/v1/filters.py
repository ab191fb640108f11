from django_filters import rest_framework as filters

from assertions.models import Assertion, AssertionStatus, AssignmentBatch, BatchStatus
from core.api.filters import (
    EntityIdFilter,
    StableOrderingFilter,
    StrictBooleanFilter,
    V1DateTimeFilter,
)
from issuers.api.v1.filters import IssuerZonesMixin

ISSUER_ZONE = {"zone": "issuer", "zone_field": "organization__timezone"}


class BadgeFilterSet(IssuerZonesMixin, filters.FilterSet):
    """Filters of `GET /api/v1/badges` (and of its export and an earner's badges)."""

    status = filters.MultipleChoiceFilter(
        distinct=False,  # one row per badge already; DISTINCT made PostgreSQL sort them all
        choices=AssertionStatus.choices,
        help_text="valid, invalid or revoked; repeat for several",
    )
    organization_id = EntityIdFilter(
        field_name="organization", help_text="Badges of this organization"
    )
    template = EntityIdFilter(
        field_name="badge_template", help_text="Badges of this badge template"
    )
    template_version = EntityIdFilter(
        field_name="badge_template_version",
        help_text="Badges of this version of a badge template",
    )
    earner_id = EntityIdFilter(field_name="earner", help_text="Badges of an earner")
    recipient_email = filters.CharFilter(
        method="filter_recipient_email", help_text="Badges of this earner email (any case)"
    )
    imported = StrictBooleanFilter(
        help_text="1: only badges imported from another system; 0: only those issued here"
    )
    emitted_after = V1DateTimeFilter(
        field_name="emitted_at", lookup_expr="gte", help_text="emitted_at ≥ this", **ISSUER_ZONE
    )
    emitted_before = V1DateTimeFilter(
        field_name="emitted_at", lookup_expr="lte", help_text="emitted_at ≤ this", **ISSUER_ZONE
    )
    expires_after = V1DateTimeFilter(
        field_name="expires_at", lookup_expr="gte", help_text="expires_at ≥ this", **ISSUER_ZONE
    )
    expires_before = V1DateTimeFilter(
        field_name="expires_at", lookup_expr="lte", help_text="expires_at ≤ this", **ISSUER_ZONE
    )
    created_after = V1DateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="created_at ≥ this (UTC)"
    )
    created_before = V1DateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="created_at ≤ this (UTC)"
    )
    search = filters.CharFilter(
        field_name="activity_title",
        lookup_expr="icontains",
        help_text="Text contained in the activity title",
    )
    ordering = StableOrderingFilter(
        fields=(
            "emitted_at",
            "expires_at",
            "created_at",
            "updated_at",
            "revoked_at",
            "activity_title",
            "recipient_email",
            "recipient_last_name",
            "status",
        ),
        help_text="A field to sort by, '-' first for descending (default -emitted_at)",
    )

    class Meta:
        model = Assertion
        fields = []

    def filter_recipient_email(self, queryset, name, value):
        return queryset.filter(recipient_email=value.strip().lower())


class AssignmentFilterSet(filters.FilterSet):
    organization_id = EntityIdFilter(
        field_name="issuer", help_text="Assignments of this organization"
    )
    status = filters.ChoiceFilter(choices=BatchStatus.choices, help_text="Their status")

    class Meta:
        model = AssignmentBatch
        fields = []


class StatisticsFilterSet(IssuerZonesMixin, filters.FilterSet):
    organization_id = EntityIdFilter(field_name="organization", help_text="Only this organization")
    template = EntityIdFilter(field_name="badge_template", help_text="Only this badge template")
    emitted_after = V1DateTimeFilter(
        field_name="emitted_at", lookup_expr="gte", help_text="emitted_at ≥ this", **ISSUER_ZONE
    )
    emitted_before = V1DateTimeFilter(
        field_name="emitted_at", lookup_expr="lte", help_text="emitted_at ≤ this", **ISSUER_ZONE
    )

    class Meta:
        model = Assertion
        fields = []
