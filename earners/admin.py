from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.urls import reverse
from django.utils.html import format_html

from earners.models import Earner
from issuers.admin_scoping import ReadOnlyIssuerScopedAdmin


@admin.register(Earner)
class EarnerAdmin(ReadOnlyIssuerScopedAdmin):
    # Earners are made and updated by assignments (earners.services); there is no
    # service for editing one by hand, so the admin only shows them.
    list_display = ("email", "first_name", "last_name", "issuer", "has_account", "created_at")
    list_filter = (("issuer", RelatedOnlyFieldListFilter),)
    search_fields = ("email", "first_name", "last_name", "entity_id")
    list_select_related = ("issuer",)
    fields = (
        "entity_id",
        "issuer",
        "email",
        "first_name",
        "last_name",
        "metadata",
        "has_account",
        "badges_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("has_account", "badges_link")

    @admin.display(description="Account", boolean=True, ordering="user")
    def has_account(self, obj):
        return obj.user_id is not None

    @admin.display(description="Badges")
    def badges_link(self, obj):
        url = reverse("admin:assertions_assertion_changelist")
        return format_html('<a href="{}?earner__id__exact={}">Badges awarded</a>', url, obj.pk)
