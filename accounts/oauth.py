"""OAuth2 glue for Badgr-compatible clients (django-oauth-toolkit).

The project follows RFC 9700 by default (see OAUTH2_PROVIDER in settings). Badgr's
clients need two things it discourages, so they are allowed narrowly here:

- the password grant, only for the built-in public client `public` (Badgr's own
  client id), which is also assumed when a token request names no client at all
  (Open edX and badgr-lite send only username + password, or only a refresh token);
- the `access_token` query parameter (see accounts.authentication).
"""

import hashlib

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import TokenView as DotTokenView

from core.queries import unique_compiled

PUBLIC_CLIENT_ID = "public"
# What Badgr grants its public client when the request names no scope.
PUBLIC_CLIENT_DEFAULT_SCOPES = ["rw:profile", "rw:issuer", "rw:backpack"]
READ_SCOPES_IMPLIED = {
    "rw:profile": "r:profile",
    "rw:issuer": "r:issuer",
    "rw:backpack": "r:backpack",
}


def query_string_refused(exc: Exception) -> str:
    """Why a request whose credentials oauthlib could not read is refused (a 400, not a
    500): oauthlib, stricter than Django, raises ValueError for a query string or form
    body that is not valid URL encoding (`%zz`, characters it does not allow)."""
    return _("The query string or form body is not valid URL encoding: %(problem)s") % {
        "problem": exc
    }


def ensure_public_client(application_model):
    """Create the built-in public client if it is missing (migration and tests)."""
    return application_model.objects.get_or_create(
        client_id=PUBLIC_CLIENT_ID,
        defaults={
            "name": "Built-in public client (password grant)",
            "client_type": "public",
            "authorization_grant_type": "password",
            "client_secret": "",
            "skip_authorization": True,
        },
    )[0]


def user_tokens_revoke(user) -> None:
    """End every OAuth token of `user`: access tokens deleted, refresh tokens revoked (as
    django-oauth-toolkit revokes one), in three statements whatever their number."""
    RefreshToken, AccessToken = get_refresh_token_model(), get_access_token_model()
    RefreshToken.objects.filter(user=user, revoked__isnull=True).update(
        revoked=timezone.now(), access_token=None
    )
    AccessToken.objects.filter(user=user).delete()
    get_id_token_model().objects.filter(user=user).delete()


def _access_token(checksum: str):
    return (
        get_access_token_model()
        .objects.select_related("application", "user")
        .filter(token_checksum=checksum)
    )


class BadgrCompatibleValidator(OAuth2Validator):
    def _load_access_token(self, token):
        # django-oauth-toolkit's lookup (by the token's unique checksum, with its
        # application and user), compiled once: every authenticated API request makes it.
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return unique_compiled(_access_token, checksum)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if grant_type == "password" and client.client_id == PUBLIC_CLIENT_ID:
            return client.allows_grant_type(AbstractApplication.GRANT_PASSWORD)
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        if client_id == PUBLIC_CLIENT_ID:
            return list(PUBLIC_CLIENT_DEFAULT_SCOPES)
        return super().get_default_scopes(client_id, request, *args, **kwargs)


class TokenView(DotTokenView):
    """`/o/token` (with or without the slash)."""

    def post(self, request, *args, **kwargs):
        data = request.POST
        names_a_client = "client_id" in data or request.META.get("HTTP_AUTHORIZATION")
        if not names_a_client:
            data = data.copy()
            data["client_id"] = PUBLIC_CLIENT_ID
            if "grant_type" not in data and "username" in data:
                data["grant_type"] = "password"
            request.POST = data
        elif isinstance(data, QueryDict) and "grant_type" not in data and "username" in data:
            data = data.copy()
            data["grant_type"] = "password"
            request.POST = data
        return super().post(request, *args, **kwargs)
