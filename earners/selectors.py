from django.db.models import Count, QuerySet

from earners.models import Earner
from issuers.selectors import issuers_for_user


def earners_for_user(user) -> QuerySet[Earner]:
    """Earners of the issuers `user` is a member of, with how many badges each holds."""
    return (
        Earner.objects.filter(issuer__in=issuers_for_user(user))
        .select_related("issuer")
        .annotate(badges_count=Count("assertions"))
        .order_by("email", "pk")
    )
