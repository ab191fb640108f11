from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import User, normalize_email
from core.exceptions import ApplicationError
from issuers.admin_scoping import (
    IssuerScopedAdmin,
    ReadOnlyInline,
    ReadOnlyIssuerScopedAdmin,
    ServiceModelForm,
    add_application_error,
)
from issuers.models import CreditLedgerEntry, Issuer, IssuerMembership, Role
from issuers.permissions import MANAGE_ISSUER
from issuers.services import (
    credits_top_up,
    issuer_create,
    issuer_update,
    membership_add,
    membership_change_role,
    membership_remove,
)

# The newest ledger rows shown on an issuer's page; the ledger changelist has them all.
LEDGER_ROWS_ON_ISSUER = 50


@cache
def _zone_choices():
    return [(name, name) for name in sorted(available_timezones())]


class IssuerForm(ServiceModelForm):
    class Meta:
        model = Issuer
        fields = ("name", "email", "url", "description", "image", "timezone")
        # The service passes the image through the upload gate (SVG included, sanitised);
        # Django's ImageField would read it with every Pillow plugin first, and refuse SVG.
        field_classes = {"image": forms.FileField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].widget = forms.Select(choices=_zone_choices())

    def run_service(self, actor):
        if self.instance.pk is None:
            data = {name: self.cleaned_data[name] for name in self.fields}
            data["image"] = data.get("image") or None
            return issuer_create(actor=actor, **data)
        changes = self.changed_fields(self.fields)
        if not changes:
            return self.instance
        if "image" in changes and not changes["image"]:
            changes["image"] = ""  # "Clear" was ticked
        return issuer_update(issuer=self.instance, actor=actor, **changes)


class TopUpForm(forms.Form):
    amount = forms.IntegerField(min_value=1, help_text="Credits to add (one per badge email).")
    note = forms.CharField(max_length=255, required=False, help_text="E.g. the invoice number.")


class CreditLedgerInline(ReadOnlyInline):
    model = CreditLedgerEntry
    fields = ("created_at", "amount", "balance_after", "reason", "note", "batch", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = f"Credit ledger (newest {LEDGER_ROWS_ON_ISSUER})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("batch", "created_by")


@admin.register(Issuer)
class IssuerAdmin(IssuerScopedAdmin):
    issuer_path = ""
    change_role = MANAGE_ISSUER
    form = IssuerForm
    inlines = (CreditLedgerInline,)
    list_display = ("name", "email", "credit_balance", "timezone", "entity_id", "created_at")
    search_fields = ("name", "email", "entity_id")
    list_filter = ("timezone",)
    readonly_fields = (
        "entity_id",
        "credit_balance",
        "ledger_link",
        "created_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "email", "url", "description", "image", "timezone")}),
        ("Credits", {"fields": ("credit_balance", "ledger_link")}),
        ("Record", {"fields": ("entity_id", "created_by", "created_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        # A new organisation is the platform operator's decision, not a member's.
        return request.user.is_active and request.user.is_superuser

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.fieldsets[:1]

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, CreditLedgerInline):
            # One entry per badge email adds up; the page shows the newest ones only.
            newest = list(
                CreditLedgerEntry.objects.filter(issuer=obj)
                .order_by("-created_at", "-id")
                .values_list("pk", flat=True)[:LEDGER_ROWS_ON_ISSUER]
            )
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=newest)
        return kwargs

    @admin.display(description="Ledger")
    def ledger_link(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:issuers_creditledgerentry_changelist")
        return format_html('<a href="{}?issuer__id__exact={}">All ledger entries</a>', url, obj.pk)

    # -- top-up --------------------------------------------------------------------

    def has_top_up_permission(self, request, obj=None):
        return self._allows(request, MANAGE_ISSUER, obj)

    def get_urls(self):
        top_up = path(
            "<path:object_id>/top-up/",
            self.admin_site.admin_view(self.top_up_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_top_up",
        )
        return [top_up, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_top_up"] = obj is not None and self.has_top_up_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def top_up_view(self, request, object_id):
        issuer = self.get_object(request, unquote(object_id))
        if not self.has_top_up_permission(request, issuer):
            raise PermissionDenied
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            amount, note = form.cleaned_data["amount"], form.cleaned_data["note"]
            try:
                with transaction.atomic():
                    entry = credits_top_up(
                        issuer=issuer, amount=amount, note=note, actor=request.user
                    )
                    self.log_change(request, issuer, f"Topped up {amount} credits.")
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                self.message_user(
                    request,
                    f"Added {amount} credits to {issuer}; the balance is {entry.balance_after}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:issuers_issuer_change", args=[quote(issuer.pk)])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Top up credits: {issuer}",
            "opts": self.opts,
            "original": issuer,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/issuers/issuer/top_up.html", context)


class MembershipAddForm(ServiceModelForm):
    email = forms.EmailField(
        label="Email", help_text="The person's account email; they need an account already."
    )
    error_aliases = {"user": "email"}

    class Meta:
        model = IssuerMembership
        fields = ("issuer", "role")

    def clean_email(self):
        user = User.objects.filter(email=normalize_email(self.cleaned_data["email"])).first()
        if user is None:
            raise forms.ValidationError("There is no account with this email.")
        self.user = user
        return user.email

    def run_service(self, actor):
        return membership_add(
            issuer=self.cleaned_data["issuer"],
            user=self.user,
            role=self.cleaned_data["role"],
            actor=actor,
        )


class MembershipChangeForm(ServiceModelForm):
    class Meta:
        model = IssuerMembership
        fields = ("role",)

    def run_service(self, actor):
        if "role" not in self.changed_data:
            return self.instance
        return membership_change_role(
            membership=self.instance, role=self.cleaned_data["role"], actor=actor
        )


@admin.register(IssuerMembership)
class IssuerMembershipAdmin(IssuerScopedAdmin):
    add_role = change_role = delete_role = MANAGE_ISSUER
    form = MembershipChangeForm
    add_form = MembershipAddForm
    list_display = ("user", "issuer", "role", "created_at")
    list_filter = ("role", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "user__first_name", "user__last_name", "issuer__name")
    list_select_related = ("user", "issuer")
    readonly_fields = ("user", "issuer", "created_at", "updated_at")
    fields = ("user", "issuer", "role", "created_at", "updated_at")
    add_fields = ("issuer", "email", "role")

    def get_fields(self, request, obj=None):
        return self.fields if obj else self.add_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("role", Role.STAFF)
        return initial

    def delete_model(self, request, obj):
        membership_remove(membership=obj, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            # Raised inside the delete view's transaction, which rolled back.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:issuers_issuermembership_change", args=[object_id])
            )


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(ReadOnlyIssuerScopedAdmin):
    list_display = (
        "created_at",
        "issuer",
        "amount",
        "balance_after",
        "reason",
        "note",
        "batch",
        "created_by",
    )
    list_filter = ("reason", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("note", "issuer__name", "batch__entity_id")
    list_select_related = ("issuer", "batch", "created_by")
    date_hierarchy = "created_at"
