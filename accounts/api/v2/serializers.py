from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.tokens import token_entity_id
from core.api.fields import IsoZDateTimeField


class UserSelfSerializer(serializers.Serializer):
    """Badgr's v2 BadgeUser, as far as this platform has it."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.CharField(source="entity_id", read_only=True)
    firstName = serializers.CharField(
        source="first_name", max_length=150, required=False, allow_blank=True
    )
    lastName = serializers.CharField(
        source="last_name", max_length=150, required=False, allow_blank=True
    )
    emails = serializers.SerializerMethodField()

    def get_entityType(self, obj) -> str:
        return "BadgeUser"

    def get_emails(self, obj) -> list[dict]:
        return [{"email": obj.email, "verified": True, "primary": True}]


class ApplicationInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    clientId = serializers.CharField(source="client_id")  # noqa: N815 (Badgr's name)


class AccessTokenSerializer(serializers.Serializer):
    """Badgr's AccessToken: never the token itself."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.SerializerMethodField()
    application = ApplicationInfoSerializer(allow_null=True)
    scope = serializers.CharField()
    expires = IsoZDateTimeField()
    created = IsoZDateTimeField()

    def get_entityType(self, obj) -> str:
        return "AccessToken"

    def get_entityId(self, obj) -> str:
        return token_entity_id(obj)


class ForgotPasswordSerializer(serializers.Serializer):
    """Badgr's request for an account recovery email."""

    email = serializers.CharField(
        max_length=254, help_text="The address of the account; the answer is the same for any."
    )


class ForgotPasswordResetSerializer(serializers.Serializer):
    """Badgr's new password with the emailed token; `token` validates to the emailed
    link's two parts, `(uidb64, token)`."""

    token = serializers.CharField(
        max_length=500,
        help_text="From the reset email's link `…/set-password/{uidb64}/{token}/`: "
        "`{uidb64}-{token}` (Badgr's one-string `{uid}-{key}` form), or the link itself.",
    )
    password = serializers.CharField(
        trim_whitespace=False, max_length=4096, help_text="The new password."
    )

    def validate_token(self, value: str) -> tuple[str, str]:
        if "/" in value:
            parts = [part for part in value.split("?")[0].split("/") if part]
            uidb64, token = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", "")
        else:
            # Django's token is "{timestamp}-{hash}" and neither half has a dash.
            pieces = value.rsplit("-", 2)
            uidb64, token = (pieces[0], "-".join(pieces[1:])) if len(pieces) == 3 else ("", "")
        if not (uidb64 and token):
            raise serializers.ValidationError(_("This is not the token of a password reset email."))
        return uidb64, token
