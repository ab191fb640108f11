from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from earners.models import Earner
from issuers.selectors import issuers_for_user


def _badges_count():
    """How many badges an earner holds, counted for each earner of the page only (a
    join and GROUP BY counted every earner's badges before a page could be taken)."""
    badges = Earner._meta.get_field("assertions").related_model.objects
    per_earner = (
        badges.filter(earner=OuterRef("pk"))
        .order_by()
        .values("earner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_earner, output_field=IntegerField()), Value(0))


def earners_for_user(user) -> QuerySet[Earner]:
    """Earners of the issuers `user` is a member of, with how many badges each holds."""
    return (
        Earner.objects.filter(issuer__in=issuers_for_user(user))
        .select_related("issuer")
        .annotate(badges_count=_badges_count())
        .order_by("email", "pk")
    )
