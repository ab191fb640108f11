"""Who may do what in an issuer. The one role matrix; services and admin ask it.

owner  ⊇ editor ⊇ staff: staff assign and revoke badges, editors also manage badge
templates, owners also manage members and credits. Superusers may do everything.
"""

from core.exceptions import PermissionDeniedError
from issuers.models import IssuerMembership, Role

RANK = {Role.STAFF: 1, Role.EDITOR: 2, Role.OWNER: 3}

ASSIGN = Role.STAFF
MANAGE_TEMPLATES = Role.EDITOR
MANAGE_ISSUER = Role.OWNER


def role_of(user, issuer) -> Role | None:
    if user is None or not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_issuer_roles", {})
    if issuer.pk not in cache:
        role = (
            IssuerMembership.objects.filter(user=user, issuer=issuer)
            .order_by("pk")  # not the model's ordering, which joins issuer and user
            .values_list("role", flat=True)
            .first()
        )
        cache[issuer.pk] = Role(role) if role else None
    return cache[issuer.pk]


def has_role(user, issuer, needed: Role) -> bool:
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    role = role_of(user, issuer)
    return role is not None and RANK[role] >= RANK[needed]


def require_role(actor, issuer, needed: Role) -> None:
    """Raise unless `actor` holds `needed` (or more) in `issuer`.

    `actor=None` means the system itself (demo data, imports, periodic tasks) and passes.
    """
    if actor is None:
        return
    if not has_role(actor, issuer, needed):
        raise PermissionDeniedError(
            f"You need the {needed.label.lower()} role in {issuer.name} to do this."
        )


def forget_roles(user) -> None:
    user.__dict__.pop("_issuer_roles", None)
