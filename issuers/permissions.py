"""Who may do what. The one role matrix; services, APIs, pages and the admin ask it.

Inside an issuer: owner ⊇ editor ⊇ staff. Staff assign and revoke badges, editors also
manage badge templates, owners also invite members and see the credit ledger.

Above the issuers: platform operators (superusers, and users holding the
`issuers.operate_platform` permission) decide who may create an issuer
(settings.ISSUER_CREATION) and grant credits. Superusers may also do everything inside
every issuer; an operator who is not a superuser acts inside an issuer only through a
membership. The whole table is docs/security.md, "Trust model".
"""

from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import PermissionDeniedError
from core.queries import rows_compiled
from issuers.exceptions import IssuerCreationRefusedError
from issuers.models import IssuerCreation, IssuerMembership, Role

RANK = {Role.STAFF: 1, Role.EDITOR: 2, Role.OWNER: 3}

ASSIGN = Role.STAFF
MANAGE_TEMPLATES = Role.EDITOR
MANAGE_ISSUER = Role.OWNER


class Held(NamedTuple):
    """A membership of the request's user: the role, and the issuer's entity id and time
    zone (for scoping lists to the user's issuers and reading their date filters)."""

    role: Role
    entity_id: str
    timezone: str


def _memberships(user_id):
    # No order: the model's (by issuer name and email) would join both tables to sort.
    return (
        IssuerMembership.objects.filter(user_id=user_id)
        .order_by()
        .values_list("issuer_id", "role", "issuer__entity_id", "issuer__timezone")
    )


def memberships_of(user) -> dict[int, Held]:
    """{issuer pk: Held} of `user`'s memberships ({} for nobody). A person belongs to a
    few issuers: they are read once per request, by SQL compiled once per process: every
    API request that acts in an issuer or lists its rows asks, and building the ORM's
    query for it cost more than the read (`forget_roles` makes the next question read
    them again)."""
    if user is None or not user.is_authenticated:
        return {}
    held = user.__dict__.get("_issuer_roles")
    if held is None:
        held = user.__dict__["_issuer_roles"] = {
            issuer_id: Held(Role(role), entity_id, timezone)
            for issuer_id, role, entity_id, timezone in rows_compiled(_memberships, user.pk)
        }
    return held


def role_seen(user, issuer_id: int, role: Role) -> None:
    """Remember `user`'s role in an issuer, read by another query of this request (with
    the issuer or template it asked for, `issuers.selectors.row_for_member`): `role_of`
    then answers for that issuer without reading all the memberships."""
    user.__dict__.setdefault("_issuer_roles_seen", {})[issuer_id] = role


def role_of(user, issuer) -> Role | None:
    """`user`'s role in `issuer`, or None (`role_seen`, else memberships_of)."""
    seen = user.__dict__.get("_issuer_roles_seen", {}) if user is not None else {}
    if issuer.pk in seen:
        return seen[issuer.pk]
    held = memberships_of(user).get(issuer.pk)
    return held.role if held is not None else None


def token_limit(user) -> frozenset[str] | None:
    """The issuers (entity ids) the request's issuer-scoped token limits `user` to
    (`rw:issuer:<entityId>`, set by accounts.authentication), or None: not limited."""
    return getattr(user, "token_issuer_ids", None)


def has_role(user, issuer, needed: Role) -> bool:
    limited = token_limit(user)
    if limited is not None and issuer.entity_id not in limited:
        return False
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
            _("You need the %(needed)s role in %(issuer)s to do this.")
            % {"needed": needed.label.lower(), "issuer": issuer.name}
        )


def forget_roles(user) -> None:
    user.__dict__.pop("_issuer_roles", None)
    user.__dict__.pop("_issuer_roles_seen", None)


OPERATE_PLATFORM = "issuers.operate_platform"


def is_operator(user) -> bool:
    """A platform operator: an active superuser or holder of the operator permission."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if token_limit(user) is not None:  # a token for one issuer runs no platform
        return False
    return user.is_superuser or user.has_perm(OPERATE_PLATFORM)


def require_operator(actor, message: str) -> None:
    """Raise unless `actor` operates the platform (`actor=None`, the system, passes)."""
    if actor is not None and not is_operator(actor):
        raise PermissionDeniedError(message)


def issuer_creation() -> IssuerCreation:
    return IssuerCreation(settings.ISSUER_CREATION)


def _acts_for_themself(user) -> bool:
    """Signed in and active, not through a token limited to some issuers."""
    signed_in = user is not None and user.is_authenticated and user.is_active
    return signed_in and token_limit(user) is None


def may_create_issuer(user) -> bool:
    """Whether `user` may create an issuer right away (ISSUER_CREATION)."""
    if is_operator(user):
        return True
    return _acts_for_themself(user) and issuer_creation() == IssuerCreation.OPEN


def must_ask_for_issuer(user) -> bool:
    """Whether a new issuer for `user` is a request for an operator to decide."""
    signed_in = _acts_for_themself(user)
    return (
        signed_in and not may_create_issuer(user) and (issuer_creation() == IssuerCreation.APPROVAL)
    )


def issuer_creation_refusal() -> str:
    """Why someone who is not an operator may not create an issuer, for every surface."""
    if issuer_creation() == IssuerCreation.APPROVAL:
        return _(
            "New issuers are approved by the platform's operators: send your request "
            "(it becomes an issuer with you as its owner once an operator approves it)."
        )
    return _(
        "Issuers are created by the platform's operators; ask one of them to create "
        "yours and invite you as its owner."
    )


def require_issuer_creation(user, *, or_request: bool = False) -> None:
    """Raise IssuerCreationRefusedError (403, saying why) unless `user` may create an
    issuer, or, with `or_request`, at least ask for one."""
    if may_create_issuer(user) or (or_request and must_ask_for_issuer(user)):
        return
    raise IssuerCreationRefusedError(issuer_creation_refusal())
