"""/issuers/ and /issuers/<entity_id>/: the issuer list and dashboard for its staff."""

from django.urls import path

from workspace import views

urlpatterns = [
    path("", views.issuer_list, name="issuer-list"),
    path("<str:entity_id>/", views.dashboard, name="issuer-dashboard"),
    path("<str:entity_id>/emails/", views.email_settings, name="issuer-emails"),
]
