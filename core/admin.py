from django.contrib import admin, messages

from assertions.models import AssertionStatus
from core.exceptions import ApplicationError
from core.models import OutboundEmail
from core.services import email_resend
from issuers.admin_scoping import ReadOnlyIssuerScopedAdmin
from issuers.permissions import ASSIGN, has_role


def resend_emails(model_admin, request, emails) -> None:
    """Queue a copy of each email the user may resend, and say what happened."""
    queued = skipped = 0
    for email in emails:
        assertion = email.assertion
        allowed = (
            has_role(request.user, assertion.organization, ASSIGN)
            if assertion is not None
            else request.user.is_superuser
        )
        if not allowed or (assertion is not None and assertion.status == AssertionStatus.REVOKED):
            skipped += 1
            continue
        try:
            email_resend(email=email)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{email.to_email}: {exc.message}", messages.ERROR)
            continue
        queued += 1
    model_admin.message_user(
        request, f"Queued {queued} email(s) to be sent again.", messages.SUCCESS
    )
    if skipped:
        model_admin.message_user(
            request,
            f"Skipped {skipped}: revoked badges, or emails you may not resend.",
            messages.WARNING,
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
