"""/issuers/<entity_id>/templates/...: the badge template pages (workspace.template_views)."""

from django.urls import path

from workspace import template_views as views

urlpatterns = [
    path("", views.template_list, name="workspace-templates"),
    path("new/", views.template_new, name="workspace-template-new"),
    path("preview/", views.template_preview, name="workspace-template-preview"),
    path("<str:template_id>/", views.template_edit, name="workspace-template"),
    path(
        "<str:template_id>/duplicate/",
        views.template_duplicate_view,
        name="workspace-template-duplicate",
    ),
    path(
        "<str:template_id>/archive/",
        views.template_archive_view,
        name="workspace-template-archive",
    ),
    path(
        "<str:template_id>/versions/",
        views.template_versions,
        name="workspace-template-versions",
    ),
    path(
        "<str:template_id>/badge-<int:size>.png",
        views.template_png,
        name="workspace-template-png",
    ),
]
