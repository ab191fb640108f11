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


def issuer_for_user(user, entity_id: str, min_role: Role = Role.STAFF) -> Issuer:
    """The issuer with this entity id if `user` holds `min_role` in it; NotFoundError
    otherwise (other issuers are indistinguishable from missing ones)."""
    from core.exceptions import NotFoundError

    issuer = issuers_for_user(user, min_role).filter(entity_id=entity_id).first()
    if issuer is None:
        raise NotFoundError("Issuer not found.")
    return issuer
