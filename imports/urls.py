"""/issuers/<entity_id>/import/...: moving badges in from elsewhere."""

from django.urls import path, re_path

from imports import views

RUN = r"(?P<run_id>[A-Za-z0-9_-]{22})"

urlpatterns = [
    path("", views.import_home, name="import-home"),
    path("badgr", views.import_badgr, name="import-badgr"),
    path("documents", views.import_documents, name="import-documents"),
    path("spreadsheet", views.import_spreadsheet, name="import-spreadsheet"),
    re_path(rf"^runs/{RUN}$", views.run_page, name="import-run"),
    re_path(rf"^runs/{RUN}\.json$", views.run_progress, name="import-run-progress"),
]
