"""What every staff page starts with: the issuer of the URL, if the user is a member."""

from django.http import Http404

from core.exceptions import ApplicationError
from issuers.selectors import issuer_for_user


def issuer_or_404(request, entity_id: str):
    """The issuer `entity_id` when the signed-in user is a member (any role); a 404
    otherwise, the same for another issuer as for none (nothing leaks)."""
    try:
        return issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None
