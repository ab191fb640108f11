from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter

from core.exceptions import ApplicationError
from credentials.models import IssuerKey
from credentials.services import issuer_key_rotate, issuer_key_withdraw, key_signs
from issuers.admin_scoping import ReadOnlyIssuerScopedAdmin
from issuers.permissions import MANAGE_ISSUER


@admin.register(IssuerKey)
class IssuerKeyAdmin(ReadOnlyIssuerScopedAdmin):
    """The issuers' Open Badges 3.0 signing keys: public halves only. Owners rotate a key,
    or withdraw one that was compromised (docs/open-badges-3.md)."""

    list_display = ("key_id", "issuer", "purpose", "algorithm", "active", "created_at")
    list_display += ("retired_at", "withdrawn_at")
    list_filter = ("active", "purpose", "algorithm", ("issuer", RelatedOnlyFieldListFilter))
    list_select_related = ("issuer",)
    # The private half (encrypted) is never shown.
    fields = ("issuer", "key_id", "purpose", "algorithm", "public_jwk", "active", "created_at")
    fields += ("retired_at",)
    fields += ("withdrawn_at",)
    actions = ("rotate_selected", "withdraw_selected")

    def has_manage_permission(self, request) -> bool:
        return self._allows(request, MANAGE_ISSUER)

    def _each(self, request, queryset, act, done_message: str):
        done, refused = 0, []
        for key in self.scope(queryset, request, MANAGE_ISSUER).select_related("issuer"):
            try:
                act(key)
            except ApplicationError as exc:
                refused.append(f"{key.issuer} {key.key_id}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message.format(done), messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    @admin.action(
        description="Rotate: the issuers of the selected keys sign with a new key",
        permissions=["manage"],
    )
    def rotate_selected(self, request, queryset):
        self._each(
            request,
            queryset.filter(active=True),
            # A key of the same purpose and algorithm (an Ed25519 VC-JWT key from before
            # OB 3.0 conformance: one of CREDENTIALS_JWT_ALGORITHM).
            lambda key: issuer_key_rotate(
                issuer=key.issuer,
                actor=request.user,
                purpose=key.purpose,
                algorithm=key.algorithm if key_signs(key) else None,
            ),
            "Rotated {} key(s); the old ones stay published.",
        )

    @admin.action(
        description="Withdraw (compromised): stop publishing the selected keys",
        permissions=["manage"],
    )
    def withdraw_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda key: issuer_key_withdraw(key=key, actor=request.user),
            "Withdrew {} key(s): what they signed no longer verifies; badges are re-signed "
            "with the issuer's active key when next downloaded.",
        )
