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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from issuers.admin_scoping import (
    IssuerScopedAdmin,
    IssuerScopedMixin,
    ReadOnlyInline,
    ReadOnlyIssuerScopedAdmin,
    ServiceModelForm,
    add_application_error,
)
from issuers.models import (
    CreditLedgerEntry,
    CreditRequest,
    Invitation,
    Issuer,
    IssuerMembership,
    IssuerRequest,
    Role,
)
from issuers.permissions import MANAGE_ISSUER, has_role, is_operator, may_create_issuer
from issuers.services import (
    credit_request_create,
    credit_request_decline,
    credit_request_grant,
    credits_top_up,
    invitation_create,
    invitation_revoke,
    issuer_create,
    issuer_request_approve,
    issuer_request_decline,
    issuer_update,
    membership_change_role,
    membership_remove,
)


def operator_in_admin(request) -> bool:
    """A platform operator who may use the admin (every admin user is staff)."""
    return request.user.is_staff and is_operator(request.user)


def decide_each(model_admin, request, queryset, decide, done: str) -> None:
    """Run `decide(obj)` for each selected row, saying what happened to each."""
    count = 0
    for obj in queryset:
        try:
            decide(obj)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
        else:
            count += 1
    model_admin.message_user(request, done % {"count": count}, messages.SUCCESS)


class OperatorsSeeAllMixin:
    """On an issuer-scoped admin: platform operators see every issuer's rows (what they
    decide on: issuers' credits, credit requests), not only their memberships'."""

    def get_queryset(self, request):
        if operator_in_admin(request):
            return super(IssuerScopedMixin, self).get_queryset(request)
        return super().get_queryset(request)

    def has_module_permission(self, request):
        return operator_in_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return operator_in_admin(request) or super().has_view_permission(request, obj)


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
    amount = forms.IntegerField(
        min_value=1, help_text=gettext_lazy("Credits to add (one per badge email).")
    )
    note = forms.CharField(
        max_length=255, required=False, help_text=gettext_lazy("E.g. the invoice number.")
    )


class CreditLedgerInline(ReadOnlyInline):
    model = CreditLedgerEntry
    fields = ("created_at", "amount", "balance_after", "reason", "note", "batch", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = f"Credit ledger (newest {LEDGER_ROWS_ON_ISSUER})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("batch", "created_by")


@admin.register(Issuer)
class IssuerAdmin(OperatorsSeeAllMixin, IssuerScopedAdmin):
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
        # A new organisation is the platform operators' decision (ISSUER_CREATION).
        return request.user.is_staff and may_create_issuer(request.user)

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
        # Credits are granted by operators only; owners ask (CreditRequestAdmin).
        return operator_in_admin(request)

    def has_request_credits_permission(self, request, obj=None):
        return obj is not None and has_role(request.user, obj, MANAGE_ISSUER)

    def get_urls(self):
        top_up = path(
            "<path:object_id>/top-up/",
            self.admin_site.admin_view(self.top_up_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_top_up",
        )
        return [top_up, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_top_up"] = obj is not None and self.has_top_up_permission(request, obj)
        context["can_request_credits"] = not context["can_top_up"] and (
            self.has_request_credits_permission(request, obj)
        )
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
    # Nobody is added directly: owners invite (InvitationAdmin), the person accepts.
    change_role = delete_role = MANAGE_ISSUER
    form = MembershipChangeForm
    list_display = ("user", "issuer", "role", "created_at")
    list_filter = ("role", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "user__first_name", "user__last_name", "issuer__name")
    list_select_related = ("user", "issuer")
    readonly_fields = ("user", "issuer", "created_at", "updated_at")
    fields = ("user", "issuer", "role", "created_at", "updated_at")

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
class CreditLedgerEntryAdmin(OperatorsSeeAllMixin, ReadOnlyIssuerScopedAdmin):
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


# -- invitations --------------------------------------------------------------------------


class InvitationForm(ServiceModelForm):
    class Meta:
        model = Invitation
        fields = ("issuer", "email", "role")
        help_texts = {
            "email": gettext_lazy(
                "We email an invitation; they join once they accept it, signed in with it."
            )
        }

    def run_service(self, actor):
        return invitation_create(
            issuer=self.cleaned_data["issuer"],
            email=self.cleaned_data["email"],
            role=self.cleaned_data["role"],
            actor=actor,
        )


@admin.register(Invitation)
class InvitationAdmin(IssuerScopedAdmin):
    view_role = add_role = MANAGE_ISSUER
    form = InvitationForm
    list_display = ("email", "issuer", "role", "status", "invited_by", "created_at", "expires_at")
    list_filter = ("status", "role", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("email", "issuer__name")
    list_select_related = ("issuer", "invited_by")
    actions = ("revoke",)
    readonly_fields = (
        "issuer",
        "email",
        "role",
        "status",
        "invited_by",
        "accepted_by",
        "created_at",
        "expires_at",
        "decided_at",
    )

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ("issuer", "email", "role")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("role", Role.STAFF)
        return initial

    def has_revoke_permission(self, request):
        return self._allows(request, MANAGE_ISSUER)

    @admin.action(description=gettext_lazy("Revoke selected invitations"), permissions=["revoke"])
    def revoke(self, request, queryset):
        decide_each(
            self,
            request,
            queryset.select_related("issuer"),
            lambda invitation: invitation_revoke(invitation=invitation, actor=request.user),
            _("Revoked %(count)d invitation(s)."),
        )


# -- credit requests ----------------------------------------------------------------------


class CreditRequestForm(ServiceModelForm):
    class Meta:
        model = CreditRequest
        fields = ("issuer", "amount", "note")
        help_texts = {
            "amount": gettext_lazy("Credits you need (one per badge email)."),
            "note": gettext_lazy("Anything the operators should know, e.g. an order number."),
        }

    def run_service(self, actor):
        return credit_request_create(
            issuer=self.cleaned_data["issuer"],
            amount=self.cleaned_data["amount"],
            note=self.cleaned_data["note"],
            actor=actor,
        )


@admin.register(CreditRequest)
class CreditRequestAdmin(OperatorsSeeAllMixin, IssuerScopedAdmin):
    """Owners ask for credits here; operators grant or decline (actions)."""

    view_role = add_role = MANAGE_ISSUER
    form = CreditRequestForm
    list_display = (
        "created_at",
        "issuer",
        "amount",
        "status",
        "note",
        "requested_by",
        "decided_by",
    )
    list_filter = ("status", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("issuer__name", "note")
    list_select_related = ("issuer", "requested_by", "decided_by")
    actions = ("grant", "decline")
    readonly_fields = (
        "issuer",
        "amount",
        "note",
        "status",
        "requested_by",
        "created_at",
        "decided_by",
        "decided_at",
        "entry",
    )

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ("issuer", "amount", "note")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def has_decide_permission(self, request):
        return operator_in_admin(request)

    @admin.action(description=gettext_lazy("Grant the selected requests"), permissions=["decide"])
    def grant(self, request, queryset):
        decide_each(
            self,
            request,
            queryset.select_related("issuer"),
            lambda row: credit_request_grant(credit_request=row, actor=request.user),
            _("Granted %(count)d request(s)."),
        )

    @admin.action(description=gettext_lazy("Decline the selected requests"), permissions=["decide"])
    def decline(self, request, queryset):
        decide_each(
            self,
            request,
            queryset,
            lambda row: credit_request_decline(credit_request=row, actor=request.user),
            _("Declined %(count)d request(s)."),
        )


# -- requests for new issuers (ISSUER_CREATION = "approval") -------------------------------


@admin.register(IssuerRequest)
class IssuerRequestAdmin(admin.ModelAdmin):
    """Operators only: requests for new issuers, approved or declined with the actions."""

    list_display = ("name", "email", "requested_by", "status", "created_at", "decided_by", "issuer")
    list_filter = ("status",)
    search_fields = ("name", "email", "requested_by__email")
    list_select_related = ("requested_by", "decided_by", "issuer")
    actions = ("approve", "decline")
    readonly_fields = (
        "name",
        "email",
        "url",
        "description",
        "timezone",
        "requested_by",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "issuer",
    )
    fields = readonly_fields

    def has_module_permission(self, request):
        return operator_in_admin(request)

    def has_view_permission(self, request, obj=None):
        return operator_in_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return operator_in_admin(request)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=gettext_lazy("Approve: create the issuers, requesters as owners"),
        permissions=["decide"],
    )
    def approve(self, request, queryset):
        decide_each(
            self,
            request,
            queryset.select_related("requested_by"),
            lambda row: issuer_request_approve(issuer_request=row, actor=request.user),
            _("Approved %(count)d request(s)."),
        )

    @admin.action(description=gettext_lazy("Decline the selected requests"), permissions=["decide"])
    def decline(self, request, queryset):
        decide_each(
            self,
            request,
            queryset.select_related("requested_by"),
            lambda row: issuer_request_decline(issuer_request=row, actor=request.user),
            _("Declined %(count)d request(s)."),
        )
