from oauth2_provider.contrib.rest_framework import OAuth2Authentication

from accounts.tokens import token_issuer_ids


class BadgrOAuth2Authentication(OAuth2Authentication):
    """Bearer tokens from the Authorization header or, as Badgr accepts, the
    `access_token` query parameter.

    A client-credentials token has no user of its own; it acts as the user who owns
    the application.
    """

    def authenticate(self, request):
        django_request = request._request
        token = django_request.GET.get("access_token")
        if token and not django_request.META.get("HTTP_AUTHORIZATION"):
            django_request.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            query = django_request.GET.copy()
            del query["access_token"]
            # django-oauth-toolkit refuses query-string tokens (RFC 9700 gate); the
            # header now carries it, so hide the parameter from it.
            django_request.GET = query
        result = super().authenticate(request)
        if result is None:
            return None
        user, access_token = result
        if user is None and access_token.application is not None:
            user = access_token.application.user
            if user is None or not user.is_active:
                return None
        limited = token_issuer_ids(set((access_token.scope or "").split()))
        if limited is not None:
            # A token made for some issuers (`rw:issuer:<entityId>`, POST /v2/tokens/issuers)
            # acts only in them: issuers.selectors and issuers.permissions read this.
            user.token_issuer_ids = limited
        return user, access_token
