from django.core.exceptions import SuspiciousOperation
from django.utils.functional import cached_property
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.settings import oauth2_settings
from rest_framework import exceptions

from accounts.oauth import query_string_refused
from accounts.tokens import token_issuer_ids


class _BearerRequest:
    """What django-oauth-toolkit's `validate_bearer_token` reads from and writes on the
    oauthlib request it is given: the scopes asked for (none, as its DRF authentication
    asks), the absolute URI (for a token bound to resources, read only then), and the
    outcome (`client`, `user`, `scopes`, `access_token`, or `oauth2_error`)."""

    def __init__(self, request):
        self._request = request
        self.scopes = []

    @cached_property
    def uri(self) -> str:
        return self._request.build_absolute_uri()


def _bearer_token(django_request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, read as oauthlib reads it
    (the second of exactly two words, the first "bearer" in any case), or None for any
    other credentials."""
    words = django_request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(words) != 2 or words[0].lower() != "bearer":
        return None
    return words[1]


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
        result = self._bearer(request) or self._whole_way(request)
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

    def _whole_way(self, request):
        """The toolkit's authentication, oauthlib's request and all; a query string or
        form body oauthlib cannot read is a 400 saying so (it raises ValueError, which
        the toolkit turns into SuspiciousOperation only for a bad percent-escape)."""
        try:
            return super().authenticate(request)
        except (SuspiciousOperation, ValueError) as exc:
            raise exceptions.ParseError(query_string_refused(exc)) from None

    def _bearer(self, request):
        """(user, token) of a plain bearer header, checked by django-oauth-toolkit's own
        validator (`validate_bearer_token`: the token's lookup, expiry, scopes, resource
        and application) without building oauthlib's server and request around it,
        which was half of authenticating (`make bench`, py-spy): a tenth of a worker's
        time per API request. None sends anything else (no header, other credentials,
        a refused token, to record why) the whole way."""
        token = _bearer_token(request._request)
        if token is None or "access_token" in request._request.GET:
            return None  # (a token in the query string too: its refusal is the toolkit's)
        checked = _BearerRequest(request._request)
        if oauth2_settings.OAUTH2_VALIDATOR_CLASS().validate_bearer_token(token, [], checked):
            return checked.user, checked.access_token
        return None
