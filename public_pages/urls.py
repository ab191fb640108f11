"""/public/...: badge pages and Open Badges 2.0 documents, for anyone."""

from django.urls import re_path

from public_pages import views as public_views

ID = r"(?P<entity_id>[A-Za-z0-9_-]{22})"
JSON = r"(?P<suffix>\.json)?"

app_name = "public"
urlpatterns = [
    re_path(rf"^assertions/{ID}{JSON}$", public_views.assertion_page, name="assertion"),
    re_path(rf"^assertions/{ID}/image$", public_views.assertion_image, name="assertion-image"),
    re_path(rf"^badges/{ID}{JSON}$", public_views.badgeclass_page, name="badgeclass"),
    re_path(
        rf"^badges/{ID}/versions/(?P<number>[0-9]{{1,9}}){JSON}$",
        public_views.badgeclass_page,
        name="badgeclass-version",
    ),
    re_path(rf"^issuers/{ID}{JSON}$", public_views.issuer_page, name="issuer"),
    re_path(rf"^collections/{ID}$", public_views.collection_page, name="collection"),
    re_path(rf"^issuers/{ID}/revocations$", public_views.revocation_list, name="revocations"),
]
