from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter, helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy

from assertions.api.v1 import exports as badge_exports
from assertions.models import Assertion, AssertionEvent, AssertionStatus, AssignmentBatch
from assertions.services import (
    TEMPLATE_DEFAULT,
    UPDATABLE_FIELDS,
    assertion_issue,
    assertion_resend_email,
    assertion_update,
    assertions_revoke_many,
)
from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import OutboundEmail
from core.services import email_resend
from core.templatetags.zoned_times import zoned_text
from issuers.admin_scoping import (
    IssuerScopedAdmin,
    ReadOnlyIssuerScopedAdmin,
    ServiceModelForm,
    message_application_error,
)
from issuers.permissions import ASSIGN, is_operator

# The newest events shown on a badge's page; the event changelist has them all.
EVENTS_ON_BADGE = 20


class AssertionIssueForm(ServiceModelForm):
    """Award a badge to one person (the "add" page)."""

    never_expires = forms.BooleanField(
        required=False,
        help_text=gettext_lazy(
            "Leave the expiry empty and untick this to use the template's default validity."
        ),
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("Email the recipient"),
        help_text=gettext_lazy(
            "Sends the badge (or an account invitation); uses one of the issuer's credits."
        ),
    )
    error_aliases = {"badgeclass": "badge_template", "recipient": "recipient_email"}

    class Meta:
        model = Assertion
        fields = (
            "badge_template",
            "recipient_email",
            "recipient_first_name",
            "recipient_last_name",
            "activity_title",
            "activity_started_at",
            "activity_ended_at",
            "expires_at",
            "narrative",
            "notes",
        )
        # the model's help texts are written for developers
        labels = {"badge_template": "Badge template"}
        help_texts = {"badge_template": "The badge to award."}

    def run_service(self, actor):
        data = self.cleaned_data
        expires_at = None if data["never_expires"] else data["expires_at"] or TEMPLATE_DEFAULT
        return assertion_issue(
            template=data["badge_template"],
            recipient_email=data["recipient_email"],
            actor=actor,
            recipient_first_name=data["recipient_first_name"],
            recipient_last_name=data["recipient_last_name"],
            activity_title=data["activity_title"],
            activity_started_at=data["activity_started_at"],
            activity_ended_at=data["activity_ended_at"],
            expires_at=expires_at,
            narrative=data["narrative"],
            notes=data["notes"],
            notify=data["notify"],
        ).assertion


# What the admin corrects of an awarded badge: what `assertion_update` allows, but the
# issue date, which is the record of when the badge was given (imports and the Badgr
# API, which bring dates from elsewhere, still set it).
ADMIN_UPDATABLE_FIELDS = UPDATABLE_FIELDS - {"emitted_at"}


class AssertionUpdateForm(ServiceModelForm):
    """Correct an awarded badge in place: only what `assertion_update` allows, and
    never the issue date."""

    class Meta:
        model = Assertion
        fields = sorted(ADMIN_UPDATABLE_FIELDS)

    def run_service(self, actor):
        changes = self.changed_fields(ADMIN_UPDATABLE_FIELDS)
        # An emptied JSON box means "none", not null.
        if "additional_details" in changes and changes["additional_details"] is None:
            changes["additional_details"] = {}
        if "evidence" in changes and changes["evidence"] is None:
            changes["evidence"] = []
        if not changes:
            return self.instance
        return assertion_update(assertion=self.instance, actor=actor, **changes)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown to anyone who verifies the badge."),
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("Email the earner"),
        help_text=gettext_lazy("Tell the earner by email that the badge was revoked, and why."),
    )


@admin.register(Assertion)
class AssertionAdmin(IssuerScopedAdmin):
    issuer_path = "organization"
    add_role = change_role = ASSIGN
    form = AssertionUpdateForm
    add_form = AssertionIssueForm
    list_display = (
        "recipient_email",
        "recipient",
        "badge",
        "organization",
        "status",
        "acceptance",
        "issued",
        "expires",
    )
    list_filter = (
        "status",
        "acceptance",
        "imported",
        "is_private",
        ("organization", RelatedOnlyFieldListFilter),
        ("badge_template", RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "entity_id",
        "recipient_email",
        "recipient_first_name",
        "recipient_last_name",
        "activity_title",
        "imp_legacy_id",
    )
    date_hierarchy = "emitted_at"
    list_select_related = ("badge_template_version", "organization")
    actions = ("revoke_selected", "resend_email", "export_csv", "export_xlsx")

    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "badge_template",
                    "recipient_email",
                    "recipient_first_name",
                    "recipient_last_name",
                )
            },
        ),
        (
            "Assignment context",
            {"fields": ("activity_title", "activity_started_at", "activity_ended_at")},
        ),
        ("Validity", {"fields": ("expires_at", "never_expires")}),
        ("Notes", {"fields": ("narrative", "notes")}),
        ("Email", {"fields": ("notify",)}),
    )
    fieldsets = (
        (
            "Badge",
            {
                "fields": (
                    "entity_id",
                    "status",
                    "badge_template_version",
                    "organization",
                    "public_url",
                    "imported",
                    "is_private",
                )
            },
        ),
        (
            "Recipient",
            {
                "fields": (
                    "recipient_email",
                    "recipient_first_name",
                    "recipient_last_name",
                    "earner",
                )
            },
        ),
        (
            "Assignment context",
            {"fields": ("activity_title", "activity_started_at", "activity_ended_at")},
        ),
        ("Dates", {"fields": ("emitted_at", "expires_at", "revoked_at", "revoked_reason")}),
        (
            "Details",
            {"fields": ("narrative", "notes", "evidence", "additional_details", "legacy_id")},
        ),
        ("History", {"fields": ("history",)}),
        (
            "Record",
            {
                "fields": (
                    "batch",
                    "created_by",
                    "idempotency_key",
                    "recipient_hash",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    # -- pages ---------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if is_operator(request.user):
            return self.fieldsets
        # Issuer staff get no storage internals (idempotency key, recipient hash).
        internals = {"idempotency_key", "recipient_hash"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in internals]})
            for name, options in self.fieldsets
        ]

    @admin.display(description="ID on the platform it was imported from")
    def legacy_id(self, obj):
        return obj.imp_legacy_id or "—"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        shown = helpers.flatten_fieldsets(self.get_fieldsets(request, obj))
        return [name for name in shown if name not in ADMIN_UPDATABLE_FIELDS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == AssertionStatus.REVOKED:
            return False  # a revoked badge is final
        return super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "badge_template":
            field.queryset = field.queryset.filter(archived=False).select_related("issuer")
            field.label_from_instance = lambda template: f"{template.name} ({template.issuer})"
        return field

    @admin.display(description="Name")
    def recipient(self, obj):
        return obj.recipient_name

    # Times by the one rule of the pages: the issuer's zone, labelled with it.
    @admin.display(description="Issued", ordering="emitted_at")
    def issued(self, obj):
        return zoned_text(obj.emitted_at, obj.organization.timezone)

    @admin.display(description="Expires", ordering="expires_at")
    def expires(self, obj):
        return zoned_text(obj.expires_at, obj.organization.timezone) or "never"

    @admin.display(description="Badge", ordering="badge_template_version__name")
    def badge(self, obj):
        version = obj.badge_template_version
        return f"{version.name} v{version.number}"

    @admin.display(description="Public page")
    def public_url(self, obj):
        return format_html('<a href="{0}">{0}</a>', obj.url)

    @admin.display(description="Events")
    def history(self, obj):
        events = obj.events.select_related("actor").order_by("-created_at", "-id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.get_kind_display(),
                    event.actor or "system",
                )
                for event in events[:EVENTS_ON_BADGE]
            ),
        )
        events_url = reverse("admin:assertions_assertionevent_changelist")
        emails_url = reverse("admin:core_outboundemail_changelist")
        return format_html(
            '<table>{}</table><p><a href="{}?assertion__id__exact={}">All events</a>'
            ' · <a href="{}?assertion__id__exact={}">Emails</a></p>',
            rows,
            events_url,
            obj.pk,
            emails_url,
            obj.pk,
        )

    # -- actions -------------------------------------------------------------------

    @admin.action(description="Revoke selected badges", permissions=["change"])
    def revoke_selected(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            items = [
                (entity_id, reason) for entity_id in queryset.values_list("entity_id", flat=True)
            ]
            try:
                outcomes = assertions_revoke_many(
                    items=items, actor=request.user, notify=form.cleaned_data["notify"]
                )
            except ApplicationError as exc:
                message_application_error(self, request, exc)
                return None
            self._report_revocations(request, outcomes)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke badges",
            "opts": self.opts,
            "form": form,
            "queryset": queryset.select_related("badge_template_version"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(
            request, "admin/assertions/assertion/revoke_confirmation.html", context
        )

    def _report_revocations(self, request, outcomes):
        revoked = sum(1 for outcome in outcomes if outcome.revoked)
        already = sum(1 for outcome in outcomes if outcome.code == "already_revoked")
        self.message_user(request, f"Revoked {revoked} badge(s).", messages.SUCCESS)
        if already:
            self.message_user(request, f"{already} were already revoked.", messages.WARNING)
        for outcome in outcomes:
            if not outcome.revoked and outcome.code != "already_revoked":
                self.message_user(request, f"{outcome.entity_id}: {outcome.reason}", messages.ERROR)

    @admin.action(description="Resend the latest email of selected badges", permissions=["change"])
    def resend_email(self, request, queryset):
        latest = {}
        emails = (
            OutboundEmail.objects.filter(assertion__in=queryset.values("pk"))
            .select_related("assertion__organization", "user")
            .order_by("assertion_id", "-created_at", "-id")
        )
        for email in emails:
            latest.setdefault(email.assertion_id, email)
        resend_emails(self, request, latest.values())
        never = queryset.count() - len(latest)
        if never:
            self.message_user(
                request, f"{never} badge(s) never had an email to resend.", messages.WARNING
            )

    @admin.action(description="Export selected badges as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return badge_exports.csv_response(queryset)

    @admin.action(description="Export selected badges as XLSX", permissions=["view"])
    def export_xlsx(self, request, queryset):
        return badge_exports.xlsx_response(queryset)


@admin.register(AssignmentBatch)
class AssignmentBatchAdmin(ReadOnlyIssuerScopedAdmin):
    list_display = (
        "entity_id",
        "issuer",
        "badge_template_version",
        "status",
        "total",
        "issued",
        "failed",
        "credits_used",
        "created_at",
        "progress_link",
    )
    list_filter = ("status", ("issuer", RelatedOnlyFieldListFilter))
    search_fields = ("entity_id", "activity_title")
    list_select_related = ("issuer", "badge_template_version")
    date_hierarchy = "created_at"

    @admin.display(description="Progress")
    def progress_link(self, obj):
        url = reverse(
            "batch-detail",
            kwargs={"entity_id": obj.issuer.entity_id, "batch_id": obj.entity_id},
        )
        return format_html('<a href="{}">Progress and report</a>', url)


@admin.register(AssertionEvent)
class AssertionEventAdmin(ReadOnlyIssuerScopedAdmin):
    issuer_path = "assertion__organization"
    list_display = ("created_at", "kind", "assertion", "actor")
    list_filter = ("kind", ("assertion__organization", RelatedOnlyFieldListFilter))
    search_fields = ("assertion__entity_id", "assertion__recipient_email")
    list_select_related = ("assertion__badge_template_version", "actor")
    date_hierarchy = "created_at"


def resend_emails(model_admin, request, emails) -> None:
    """Queue a copy of each email, and say what happened. The rules (role, revoked
    badges) are the service's; emails that belong to no badge are superusers' only."""
    queued = 0
    for email in emails:
        try:
            if email.assertion is not None:
                assertion_resend_email(email=email, actor=request.user)
            elif request.user.is_superuser:
                email_resend(email=email)
            else:
                raise PermissionDeniedError(gettext("Only superusers resend platform emails."))
        except ApplicationError as exc:
            model_admin.message_user(request, f"{email.to_email}: {exc.message}", messages.WARNING)
            continue
        queued += 1
    model_admin.message_user(
        request, f"Queued {queued} email(s) to be sent again.", messages.SUCCESS
    )


# The outbox (core's model) is administered here: its rows are scoped to an issuer through
# their badge, and resending one is a badge's rule (assertion_resend_email).
@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyIssuerScopedAdmin):
    # Members see the emails of their issuers' badges; other emails (no badge) are the
    # platform's own, for superusers.
    issuer_path = "assertion__organization"
    list_display = ("created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to_email", "subject")
    date_hierarchy = "created_at"
    actions = ("resend",)
    fields = (
        "kind",
        "to_email",
        "subject",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "assertion",
        "context",
        "created_at",
        "updated_at",
    )

    def has_resend_permission(self, request):
        return self._allows(request, ASSIGN)

    @admin.action(description="Resend selected emails", permissions=["resend"])
    def resend(self, request, queryset):
        resend_emails(self, request, queryset.select_related("assertion__organization", "user"))
