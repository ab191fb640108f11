"""/issuers/ and /issuers/<entity_id>/: the issuer list and dashboard for its staff, and
the issuer's badges (/issuers/<entity_id>/badges/...)."""

from django.urls import include, path

from workspace import badge_views, batch_views, credit_views, earner_views, member_views, views

urlpatterns = [
    path("", views.issuer_list, name="issuer-list"),
    path("<str:entity_id>/", views.dashboard, name="issuer-dashboard"),
    path("<str:entity_id>/emails/", views.email_settings, name="issuer-emails"),
    path("<str:entity_id>/assignments/", batch_views.batch_list, name="workspace-batches"),
    path("<str:entity_id>/credits/", credit_views.credits, name="workspace-credits"),
    path("<str:entity_id>/members/", member_views.member_list, name="workspace-members"),
    path(
        "<str:entity_id>/members/invite/",
        member_views.member_invite,
        name="workspace-member-invite",
    ),
    path("<str:entity_id>/members/role/", member_views.member_role, name="workspace-member-role"),
    path(
        "<str:entity_id>/members/remove/",
        member_views.member_remove,
        name="workspace-member-remove",
    ),
    path(
        "<str:entity_id>/members/invitations/<str:invitation_id>/revoke/",
        member_views.invitation_revoke,
        name="workspace-invitation-revoke",
    ),
    path("<str:entity_id>/earners/", earner_views.earner_list, name="workspace-earners"),
    path(
        "<str:entity_id>/earners/<str:earner_id>/",
        earner_views.earner_detail,
        name="workspace-earner",
    ),
    path("<str:entity_id>/badges/", badge_views.badge_list, name="workspace-badges"),
    path(
        "<str:entity_id>/badges/export.csv",
        badge_views.badge_export,
        name="workspace-badges-export",
    ),
    path(
        "<str:entity_id>/badges/export.xlsx",
        badge_views.badge_export,
        {"fmt": "xlsx"},
        name="workspace-badges-export-xlsx",
    ),
    path(
        "<str:entity_id>/badges/selection/",
        badge_views.badge_selection,
        name="workspace-badges-selection",
    ),
    path(
        "<str:entity_id>/badges/<str:badge_id>/",
        badge_views.badge_detail,
        name="workspace-badge",
    ),
    path(
        "<str:entity_id>/badges/<str:badge_id>/revoke/",
        badge_views.badge_revoke,
        name="workspace-badge-revoke",
    ),
    path(
        "<str:entity_id>/badges/<str:badge_id>/resend/",
        badge_views.badge_resend,
        name="workspace-badge-resend",
    ),
    path(
        "<str:entity_id>/badges/<str:badge_id>/name/",
        badge_views.badge_rename,
        name="workspace-badge-name",
    ),
    path(
        "<str:entity_id>/badges/<str:badge_id>/expiry/",
        badge_views.badge_expiry,
        name="workspace-badge-expiry",
    ),
    # The badge template pages: their own file, workspace/template_urls.py.
    path("<str:entity_id>/templates/", include("workspace.template_urls")),
]
