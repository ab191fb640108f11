from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from accounts.models import User
from core.exceptions import NotFoundError
from issuers.models import Issuer, Role
from issuers.permissions import OPERATE_PLATFORM, RANK, is_operator, token_limit


def roles_at_least(role: Role) -> list[str]:
    return [r.value for r, rank in RANK.items() if rank >= RANK[role]]


def issuers_for_user(user, min_role: Role = Role.STAFF) -> QuerySet[Issuer]:
    """The issuers `user` may act in with at least `min_role` (all of them for superusers)."""
    if user is None or not user.is_authenticated:
        return Issuer.objects.none()
    if user.is_superuser:
        issuers = Issuer.objects.all()
    else:
        issuers = Issuer.objects.filter(
            memberships__user=user, memberships__role__in=roles_at_least(min_role)
        ).distinct()
    limited = token_limit(user)
    if limited is not None:  # an issuer-scoped token: only its issuers
        issuers = issuers.filter(entity_id__in=limited)
    return issuers


def issuer_for_user(user, entity_id: str, min_role: Role = Role.STAFF) -> Issuer:
    """The issuer with this entity id if `user` holds `min_role` in it; NotFoundError
    otherwise (other issuers are indistinguishable from missing ones)."""
    issuer = issuers_for_user(user, min_role).filter(entity_id=entity_id).first()
    if issuer is None:
        raise NotFoundError(gettext("Issuer not found."))
    return issuer


def operators():
    """The platform's operators (issuers.permissions.is_operator), to email them."""
    app_label, codename = OPERATE_PLATFORM.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    holds = Q(is_superuser=True)
    if permission is not None:
        holds |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    return User.objects.filter(holds, is_active=True).distinct().order_by("email")


def issuer_for_operator(user, entity_id: str) -> Issuer:
    """For what operators do to any issuer (grant credits): every issuer for an operator;
    a member's own issuers otherwise (the service then says what the role may not do);
    NotFoundError for the rest."""
    if is_operator(user):
        issuer = Issuer.objects.filter(entity_id=entity_id).first()
    else:
        issuer = issuers_for_user(user).filter(entity_id=entity_id).first()
    if issuer is None:
        raise NotFoundError(gettext("Issuer not found."))
    return issuer
