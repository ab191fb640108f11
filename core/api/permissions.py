"""OAuth2 scope checks shared by both APIs.

A view names its scope family (`oauth_scope = "issuer"`, "profile" or "backpack").
Reading needs `r:<family>` or `rw:<family>`; writing needs `rw:<family>`, and so does
reading where the view says `oauth_write_to_read` (your tokens, as Badgr). Requests
authenticated by session (the site's own pages) are not token-limited.
"""

from django.utils.translation import gettext, gettext_lazy
from oauth2_provider.models import AbstractAccessToken
from rest_framework.permissions import SAFE_METHODS, BasePermission


def token_scopes(request) -> set[str] | None:
    """The scopes of the request's OAuth2 token, or None when it has no token."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, AbstractAccessToken):
        return None
    return set((auth.scope or "").split())


class HasScope(BasePermission):
    message = gettext_lazy("Your token does not have the scope this needs.")

    def has_permission(self, request, view):
        scopes = token_scopes(request)
        if scopes is None:
            return True
        family = getattr(view, "oauth_scope", None)
        if family is None:
            return False  # a view that forgot to say what it needs is closed to tokens
        write = f"rw:{family}"
        if (
            family == "issuer"
            and getattr(view, "issuer_scoped_tokens", True)
            and any(scope.startswith("rw:issuer:") for scope in scopes)
        ):
            # Badgr's `rw:issuer:<entityId>`: full access, to that issuer only (the
            # selectors and role checks limit it: accounts.authentication).
            scopes = scopes | {write}
        if request.method in SAFE_METHODS and not getattr(view, "oauth_write_to_read", False):
            allowed = write in scopes or f"r:{family}" in scopes
            needed = f"r:{family}"
        else:
            allowed = write in scopes
            needed = write
        if not allowed:
            self.message = gettext("Your token needs the %(scope)s scope for this.") % {
                "scope": needed
            }
        return allowed
