"""The Open Badge API, /api/v1 (spec/open-badge-api-badges.txt)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from assertions.api.v1.views import (
    AssignmentViewSet,
    BadgeViewSet,
    EarnerBadgeViewSet,
    StatisticsViewSet,
)
from core.api.v1 import V1GenericViewSet, unknown_endpoint
from earners.api.v1.views import EarnerViewSet
from issuers.api.v1.views import OrganizationRequestViewSet, OrganizationViewSet
from templates_app.api.v1.views import BadgeTemplateViewSet

router = SimpleRouter(trailing_slash=False)
router.register("badges", BadgeViewSet, basename="v1-badges")
router.register("badge-templates", BadgeTemplateViewSet, basename="v1-badge-templates")
router.register("earners", EarnerViewSet, basename="v1-earners")
# An earner's badges are the badges app's (assertions), under the earner's URL.
router.register(
    rf"earners/(?P<id>{V1GenericViewSet.lookup_value_regex})/badges",
    EarnerBadgeViewSet,
    basename="v1-earners-badges",
)
router.register("organizations", OrganizationViewSet, basename="v1-organizations")
router.register(
    "organization-requests", OrganizationRequestViewSet, basename="v1-organization-requests"
)
router.register("assignments", AssignmentViewSet, basename="v1-assignments")
router.register("statistics", StatisticsViewSet, basename="v1-statistics")

urlpatterns = [
    *router.urls,
    # Anything else under /api/v1 (an unknown path, or an id with characters that no
    # entity id has) is a JSON 404 in the API's error shape, not an HTML page.
    re_path(r"^.*$", unknown_endpoint),
]
