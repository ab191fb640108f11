"""The Open Badges 3.0 API (1EdTech), under /ims/ob/v3p0/."""

from django.urls import path

from credentials.api.ob3 import views

urlpatterns = [
    path("ims/ob/v3p0/discovery", views.discovery, name="ob3-discovery"),
    path("ims/ob/v3p0/register", views.register, name="ob3-register"),
    path("ims/ob/v3p0/credentials", views.credentials, name="ob3-credentials"),
    path("ims/ob/v3p0/profile", views.profile, name="ob3-profile"),
]
