"""The Badgr-compatible /v2 API."""

from django.urls import path, re_path

from accounts.api.v2.views import (
    AccessTokenDetailView,
    AccessTokenListView,
    ForgotPasswordView,
    UserDetailView,
)
from assertions.api.v2 import views as assertion_views
from core.api.badgr import unknown_endpoint
from issuers.api.v2.views import IssuerDetailView, IssuerListView, IssuerTokensView
from templates_app.api.v2 import views as template_views

urlpatterns = [
    path("issuers", IssuerListView.as_view(), name="v2-issuers"),
    path("issuers/<str:entity_id>", IssuerDetailView.as_view(), name="v2-issuer"),
    path(
        "issuers/<str:entity_id>/badgeclasses",
        template_views.IssuerBadgeClassListView.as_view(),
        name="v2-issuer-badgeclasses",
    ),
    path(
        "issuers/<str:entity_id>/assertions",
        assertion_views.IssuerAssertionListView.as_view(),
        name="v2-issuer-assertions",
    ),
    path("badgeclasses", template_views.BadgeClassListView.as_view(), name="v2-badgeclasses"),
    path(
        "badgeclasses/<str:entity_id>",
        template_views.BadgeClassDetailView.as_view(),
        name="v2-badgeclass",
    ),
    path(
        "badgeclasses/<str:entity_id>/assertions",
        assertion_views.BadgeClassAssertionListView.as_view(),
        name="v2-badgeclass-assertions",
    ),
    path(
        "badgeclasses/<str:entity_id>/issue",
        assertion_views.BadgeClassIssueView.as_view(),
        name="v2-badgeclass-issue",
    ),
    path("assertions/revoke", assertion_views.AssertionBulkRevokeView.as_view(), name="v2-revoke"),
    path(
        "assertions/<str:entity_id>",
        assertion_views.AssertionDetailView.as_view(),
        name="v2-assertion",
    ),
    path("users/self", UserDetailView.as_view(), {"entity_id": "self"}, name="v2-user-self"),
    path("users/<str:entity_id>", UserDetailView.as_view(), name="v2-user"),
    path("auth/tokens", AccessTokenListView.as_view(), name="v2-auth-tokens"),
    path("auth/tokens/<str:entity_id>", AccessTokenDetailView.as_view(), name="v2-auth-token"),
    path("auth/forgot-password", ForgotPasswordView.as_view(), name="v2-forgot-password"),
    path("tokens/issuers", IssuerTokensView.as_view(), name="v2-issuer-tokens"),
    path(
        "backpack/assertions",
        assertion_views.BackpackAssertionListView.as_view(),
        name="v2-backpack-assertions",
    ),
    path(
        "backpack/import", assertion_views.BackpackImportView.as_view(), name="v2-backpack-import"
    ),
    path(
        "backpack/assertions/<str:entity_id>",
        assertion_views.BackpackAssertionDetailView.as_view(),
        name="v2-backpack-assertion",
    ),
    path(
        "backpack/collections",
        assertion_views.CollectionListView.as_view(),
        name="v2-backpack-collections",
    ),
    path(
        "backpack/collections/<str:entity_id>",
        assertion_views.CollectionDetailView.as_view(),
        name="v2-backpack-collection",
    ),
    # Anything else under /v2 is a JSON 404 in Badgr's envelope, not an HTML page.
    re_path(r"^.*$", unknown_endpoint),
]
