from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.urls import reverse
from django.utils.html import format_html

from core.exceptions import ApplicationError
from issuers.admin_scoping import IssuerScopedAdmin, ReadOnlyIssuerScopedAdmin, ServiceModelForm
from issuers.permissions import MANAGE_TEMPLATES
from templates_app.models import BadgeTemplate, BadgeTemplateVersion
from templates_app.services import (
    EDITABLE_FIELDS,
    template_archive,
    template_create,
    template_update,
)


class BadgeTemplateForm(ServiceModelForm):
    class Meta:
        model = BadgeTemplate
        fields = ("issuer", *EDITABLE_FIELDS)
        # The service reads and checks the image (SVG included, sanitised), as for the
        # APIs; Django's ImageField would refuse SVG before the service saw it.
        field_classes = {"image": forms.FileField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "image" in self.fields:
            # Every version shows an image: one can be replaced, never removed.
            self.fields["image"].required = True
        if "tags" in self.fields:
            self.fields["tags"].help_text = 'A JSON list of words, e.g. ["python", "data"].'

    def run_service(self, actor):
        if self.instance.pk is None:
            data = {name: self.cleaned_data[name] for name in self.fields}
            return template_create(actor=actor, **data)
        # Unchanged fields are left out: an unchanged image must not be read again,
        # and a version is made only when something a badge shows changed.
        changes = self.changed_fields(EDITABLE_FIELDS)
        if not changes:
            return self.instance
        return template_update(template=self.instance, actor=actor, **changes)


@admin.register(BadgeTemplate)
class BadgeTemplateAdmin(IssuerScopedAdmin):
    add_role = change_role = MANAGE_TEMPLATES
    form = BadgeTemplateForm
    list_display = ("name", "issuer", "kind", "version", "archived", "updated_at", "assign_link")
    list_filter = ("archived", "kind", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("name", "entity_id", "description")
    list_select_related = ("issuer", "current_version")
    actions = ("archive_selected", "unarchive_selected")
    readonly_fields = (
        "entity_id",
        "issuer",
        "archived",
        "version",
        "versions_link",
        "created_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("issuer", "name", "description", "kind", "image")}),
        ("Criteria", {"fields": ("criteria_url", "criteria_narrative")}),
        ("Tags and alignments", {"fields": ("tags", "alignments")}),
        ("Default validity", {"fields": ("validity_amount", "validity_unit")}),
        (
            "Record",
            {
                "fields": (
                    "entity_id",
                    "archived",
                    "version",
                    "versions_link",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.fieldsets[:-1]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    @admin.display(description="Version", ordering="current_version__number")
    def version(self, obj):
        return f"v{obj.current_version.number}" if obj.current_version else "-"

    @admin.display(description="Assign")
    def assign_link(self, obj):
        if obj.archived:
            return "-"
        url = reverse("assign-start", kwargs={"entity_id": obj.issuer.entity_id})
        return format_html('<a href="{}?template={}">Assign…</a>', url, obj.entity_id)

    @admin.display(description="Versions")
    def versions_link(self, obj):
        url = reverse("admin:templates_app_badgetemplateversion_changelist")
        return format_html('<a href="{}?template__id__exact={}">All versions</a>', url, obj.pk)

    def _set_archived(self, request, queryset, archived: bool):
        done, refused = 0, []
        for template in queryset.select_related("issuer"):
            try:
                template_archive(template=template, actor=request.user, archived=archived)
            except ApplicationError as exc:
                refused.append(f"{template}: {exc.message}")
            else:
                done += 1
        verb = "Archived" if archived else "Unarchived"
        self.message_user(request, f"{verb} {done} badge template(s).", messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description="Archive selected badge templates", permissions=["change"])
    def archive_selected(self, request, queryset):
        self._set_archived(request, queryset, archived=True)

    @admin.action(description="Unarchive selected badge templates", permissions=["change"])
    def unarchive_selected(self, request, queryset):
        self._set_archived(request, queryset, archived=False)


@admin.register(BadgeTemplateVersion)
class BadgeTemplateVersionAdmin(ReadOnlyIssuerScopedAdmin):
    issuer_path = "template__issuer"
    list_display = ("name", "number", "template", "kind", "created_at")
    list_filter = ("kind", ("template__issuer", RelatedOnlyFieldListFilter))
    search_fields = ("name", "entity_id", "template__name")
    list_select_related = ("template",)
    fields = (
        "entity_id",
        "template",
        "number",
        "name",
        "description",
        "kind",
        "criteria_url",
        "criteria_narrative",
        "preview",
        "image",
        "image_high",
        "image_thumbnail",
        "image_sha256",
        "tags",
        "alignments",
        "created_by",
        "created_at",
    )
    readonly_fields = ("preview",)

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj.image:
            return "-"
        return format_html('<img src="{}" alt="" height="96">', obj.image.url)
