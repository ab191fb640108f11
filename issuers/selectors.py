from django.db.models import QuerySet

from issuers.models import Issuer, Role
from issuers.permissions import RANK


def roles_at_least(role: Role) -> list[str]:
    return [r.value for r, rank in RANK.items() if rank >= RANK[role]]


def issuers_for_user(user, min_role: Role = Role.STAFF) -> QuerySet[Issuer]:
    """The issuers `user` may act in with at least `min_role` (all of them for superusers)."""
    if user is None or not user.is_authenticated:
        return Issuer.objects.none()
    if user.is_superuser:
        return Issuer.objects.all()
    return Issuer.objects.filter(
        memberships__user=user, memberships__role__in=roles_at_least(min_role)
    ).distinct()
