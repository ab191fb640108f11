from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Upper
from django.utils.translation import gettext

from core.exceptions import NotFoundError
from earners.models import Earner
from issuers.selectors import in_issuers_of


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
        Earner.objects.filter(in_issuers_of(user, "issuer"))
        .select_related("issuer")
        .annotate(badges_count=_badges_count())
        .order_by("email", "pk")
    )


# --- an issuer's earners, as the staff pages list them -----------------------------

EARNERS_PAGE = 50


def issuer_earners_filtered(issuer, *, q: str = "") -> QuerySet[Earner]:
    """The issuer's earners by email (unique per issuer, so the order is total), each
    with how many badges they hold. `q`: with an "@", the start of the email; otherwise
    each word the start of the first name, the last name or the email (any case). Every
    condition reads an index led by the issuer: the unique (issuer, email) for the order
    and the pages, and the pattern-ops indexes of migration 0004 for the search."""
    qs = Earner.objects.filter(issuer=issuer)
    q = " ".join((q or "").split())[:254]
    if "@" in q:
        qs = qs.filter(email__startswith=q.lower())
    elif q:
        qs = qs.alias(first_upper=Upper("first_name"), last_upper=Upper("last_name"))
        for word in q.split(" ")[:4]:
            qs = qs.filter(
                Q(first_upper__startswith=word.upper())
                | Q(last_upper__startswith=word.upper())
                | Q(email__startswith=word.lower())
            )
    return qs.annotate(badges_count=_badges_count()).order_by("email")


def earners_page(queryset: QuerySet[Earner], *, after: str | None, size: int = EARNERS_PAGE):
    """One page of `queryset` (ordered by email) after the earner whose email is `after`
    (keyset pagination: page 1,000 costs what page 1 does). Returns (earners, the email
    of the last one when there are more, else None)."""
    if after is not None:
        queryset = queryset.filter(email__gt=after)
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].email if more and rows else None)


def earner_for_issuer(issuer, entity_id: str) -> Earner:
    """One of the issuer's earners; NotFoundError for anything else."""
    earner = Earner.objects.filter(issuer=issuer, entity_id=entity_id).first()
    if earner is None:
        raise NotFoundError(gettext("No such earner."))
    return earner
