"""/issuers/<entity_id>/...: the issuer's pages for its staff."""

from django.urls import include, path

from issuers import views

urlpatterns = [
    path("", views.issuer_list, name="issuer-list"),
    path("<str:entity_id>/", views.dashboard, name="issuer-dashboard"),
    path("<str:entity_id>/", include("assertions.assign_urls")),
]
