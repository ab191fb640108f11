"""/issuers/<entity_id>/assign/... and /issuers/<entity_id>/batches/...: the assign
wizard and the assignment (batch) pages."""

from django.urls import path

from assign import views

urlpatterns = [
    path("assign/", views.assign_start, name="assign-start"),
    path("assign/earners/", views.assign_earners, name="assign-earners"),
    path("assign/earners/columns/", views.assign_columns, name="assign-columns"),
    path("assign/context/", views.assign_context, name="assign-context"),
    path("assign/template/", views.assign_template, name="assign-template"),
    path("assign/validity/", views.assign_validity, name="assign-validity"),
    path("assign/notes/", views.assign_notes, name="assign-notes"),
    path("assign/review/", views.assign_review, name="assign-review"),
    path("assign/confirm/", views.assign_confirm, name="assign-confirm"),
    path("batches/<str:batch_id>/", views.batch_detail, name="batch-detail"),
    path("batches/<str:batch_id>/progress.json", views.batch_progress_json, name="batch-progress"),
    path("batches/<str:batch_id>/report.csv", views.batch_report, name="batch-report"),
]
