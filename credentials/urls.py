"""Open Badges 3.0 URLs: issuers' DID documents, keys and status lists, the signed
credential of a badge, the backpack's bundle, and the verifier page."""

from django.urls import include, path, re_path

from credentials import views

ID = r"(?P<entity_id>[A-Za-z0-9_-]{22})"

urlpatterns = [
    re_path(rf"^issuers/{ID}/did\.json$", views.did_document, name="issuer-did"),
    re_path(rf"^issuers/{ID}/jwks\.json$", views.jwks, name="issuer-jwks"),
    re_path(
        rf"^issuers/{ID}/status/(?P<number>[0-9]{{1,9}})$",
        views.status_list,
        name="issuer-status-list",
    ),
    re_path(
        rf"^public/assertions/{ID}/credential$",
        views.assertion_credential,
        name="assertion-credential",
    ),
    re_path(
        rf"^public/assertions/{ID}/credential/image$",
        views.assertion_credential_image,
        name="assertion-credential-image",
    ),
    path("me/badges/credentials.json", views.backpack_bundle, name="backpack-credentials"),
    path("verify/", views.verify_page, name="credential-verify"),
    path("", include("credentials.api.ob3.urls")),
]
