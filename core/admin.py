from django.contrib import admin, messages

from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import OutboundEmail
from core.services import email_resend
from issuers.admin_scoping import ReadOnlyIssuerScopedAdmin
from issuers.permissions import ASSIGN


def resend_emails(model_admin, request, emails) -> None:
    """Queue a copy of each email, and say what happened. The rules (role, revoked
    badges) are the service's; emails that belong to no badge are superusers' only."""
    from assertions.services import assertion_resend_email

    queued = 0
    for email in emails:
        try:
            if email.assertion is not None:
                assertion_resend_email(email=email, actor=request.user)
            elif request.user.is_superuser:
                email_resend(email=email)
            else:
                raise PermissionDeniedError("Only superusers resend platform emails.")
        except ApplicationError as exc:
            model_admin.message_user(request, f"{email.to_email}: {exc.message}", messages.WARNING)
            continue
        queued += 1
    model_admin.message_user(
        request, f"Queued {queued} email(s) to be sent again.", messages.SUCCESS
    )


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
