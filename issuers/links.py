"""Where the pages send someone who needs credits: operators grant them in the admin,
owners ask the operators for them, others ask an owner."""

from django.urls import reverse

from issuers.permissions import MANAGE_ISSUER, has_role, is_operator


def credits_links(user, issuer) -> dict[str, str]:
    """{"top_up_url": …} for an operator, {"credits_request_url": …} for an owner, {}."""
    if is_operator(user):
        return {"top_up_url": reverse("admin:issuers_issuer_top_up", args=[issuer.pk])}
    if has_role(user, issuer, MANAGE_ISSUER):
        return {"credits_request_url": reverse("workspace-credits", args=[issuer.entity_id])}
    return {}
