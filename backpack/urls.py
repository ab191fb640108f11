"""/me/...: the logged-in earner's own badges."""

from django.urls import path

from backpack import views as backpack_views

urlpatterns = [
    path("collections", backpack_views.collections, name="backpack-collections"),
    path(
        "collections/<str:entity_id>",
        backpack_views.collection_edit,
        name="backpack-collection",
    ),
    path(
        "collections/<str:entity_id>/delete",
        backpack_views.collection_delete,
        name="backpack-collection-delete",
    ),
    path("badges", backpack_views.backpack, name="backpack"),
    path("badges/import", backpack_views.backpack_import, name="backpack-import"),
    path(
        "badges/<str:entity_id>/privacy", backpack_views.backpack_privacy, name="backpack-privacy"
    ),
    path("badges/<str:entity_id>/name", backpack_views.backpack_name, name="backpack-name"),
    path(
        "badges/<str:entity_id>/acceptance",
        backpack_views.backpack_acceptance,
        name="backpack-acceptance",
    ),
    path(
        "badges/imported/<str:entity_id>/remove",
        backpack_views.backpack_import_remove,
        name="backpack-import-remove",
    ),
    path("data", backpack_views.account_data, name="account-data"),
    path("data/download", backpack_views.account_data_download, name="account-data-download"),
]
