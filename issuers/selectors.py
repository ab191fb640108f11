from django.contrib.auth.models import Permission
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext

from accounts.models import User, normalize_email
from core.exceptions import NotFoundError
from core.keyset import newest_page
from core.queries import unique_compiled
from issuers.models import (
    CreditLedgerEntry,
    CreditRequest,
    CreditRequestStatus,
    Invitation,
    InvitationStatus,
    Issuer,
    IssuerMembership,
    Role,
)
from issuers.permissions import (
    OPERATE_PLATFORM,
    RANK,
    has_role,
    is_operator,
    memberships_of,
    role_seen,
    token_limit,
)


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


def issuer_ids_for_user(user, min_role: Role = Role.STAFF) -> list[int] | None:
    """The primary keys of `issuers_for_user(user, min_role)`, or None for every issuer (a
    superuser's token limited to none). A member's come from the request's memberships,
    read once (no query here)."""
    if user is None or not user.is_authenticated:
        return []
    limited = token_limit(user)
    if user.is_superuser:
        if limited is None:
            return None
        return sorted(Issuer.objects.filter(entity_id__in=limited).values_list("pk", flat=True))
    return sorted(
        pk
        for pk, held in memberships_of(user).items()
        if RANK[held.role] >= RANK[min_role] and (limited is None or held.entity_id in limited)
    )


def in_issuers_of(user, field: str) -> Q:
    """The rows of a large table (badges, earners) whose `field` is one of the issuers
    `user` may act in, as `field IN (1, 2)` of their keys: PostgreSQL reads a list of
    values as the restriction it is, where a subquery of the memberships (`field__in=
    issuers_for_user(user)`) counted as a second, independent one and shrank its row
    estimate for one issuer's badges a hundredfold at 100 issuers, which made it sort all
    the rows a page needed (a template's badges) or join them by scans (a search)."""
    ids = issuer_ids_for_user(user)
    return Q() if ids is None else Q(**{f"{field}__in": ids})


def issuer_zones_for_user(user) -> list[str]:
    """The time zones of `issuers_for_user(user)`, sorted (a member's with no query)."""
    if user is not None and user.is_authenticated and not user.is_superuser:
        limited = token_limit(user)
        zones = {
            held.timezone
            for held in memberships_of(user).values()
            if limited is None or held.entity_id in limited
        }
    else:
        zones = set(issuers_for_user(user).order_by().values_list("timezone", flat=True))
    return sorted(zones)


def _issuer_by_entity_id(entity_id: str):
    return Issuer.objects.filter(entity_id=entity_id)


def _issuer_with_role(entity_id: str, user_id: int):
    """An issuer with `user_id`'s role in it (`viewer_role`); none for an issuer they are
    not a member of."""
    return Issuer.objects.filter(entity_id=entity_id, memberships__user_id=user_id).annotate(
        viewer_role=F("memberships__role")
    )


def row_for_member(user, entity_id: str, *, plain, with_role, issuer_id):
    """A row of an issuer (the issuer, one of its templates) by entity id for `user`, in
    one statement compiled once: for a superuser `plain(entity_id)`'s row; for anyone
    else signed in `with_role(entity_id, user.pk)`'s, which carries their role in its
    issuer (`viewer_role`; no row where they hold none), remembered for the services that
    check it again (`role_seen`, issuer's key `issuer_id(row)`). None for nobody. Whether
    the role suffices is the caller's `has_role`."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return unique_compiled(plain, entity_id)
    row = unique_compiled(with_role, entity_id, user.pk)
    if row is not None:
        role_seen(user, issuer_id(row), Role(row.viewer_role))
    return row


def issuer_for_user(user, entity_id: str, min_role: Role = Role.STAFF) -> Issuer:
    """The issuer with this entity id if `user` holds `min_role` in it; NotFoundError
    otherwise (other issuers are indistinguishable from missing ones). One query
    (`row_for_member`)."""
    issuer = row_for_member(
        user,
        entity_id,
        plain=_issuer_by_entity_id,
        with_role=_issuer_with_role,
        issuer_id=lambda issuer: issuer.pk,
    )
    if issuer is None or not has_role(user, issuer, min_role):
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


MEMBERS_SHOWN = 500


def issuer_members(issuer) -> list[IssuerMembership]:
    """The issuer's members with their accounts: owners first, then editors, then
    staff, each by email."""
    members = list(
        IssuerMembership.objects.filter(issuer=issuer)
        .select_related("user")
        .order_by("user__email")[:MEMBERS_SHOWN]
    )
    return sorted(members, key=lambda m: -RANK[Role(m.role)])


def issuer_pending_invitations(issuer) -> list[Invitation]:
    """The issuer's invitations not yet accepted nor revoked, newest first."""
    return list(
        Invitation.objects.filter(issuer=issuer, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "-id")[:MEMBERS_SHOWN]
    )


def issuer_membership_of(issuer, email: str) -> IssuerMembership:
    """The membership of the account with `email` in the issuer; NotFoundError else."""
    membership = (
        IssuerMembership.objects.filter(issuer=issuer, user__email=normalize_email(email))
        .select_related("user", "issuer")
        .first()
    )
    if membership is None:
        raise NotFoundError(gettext("No such member."))
    return membership


def issuer_invitation(issuer, entity_id: str) -> Invitation:
    invitation = Invitation.objects.filter(issuer=issuer, entity_id=entity_id).first()
    if invitation is None:
        raise NotFoundError(gettext("No such invitation."))
    return invitation


LEDGER_PAGE = 50


def ledger_page(issuer, *, after: tuple | None, size: int = LEDGER_PAGE):
    """One page of the issuer's credit ledger, newest first, after the entry `after` =
    (created_at, pk) (keyset pagination on the issuers_ledger_issuer_time index), each
    entry with its batch's template version and its author. Returns (entries, the key
    of the last one when there are more, else None)."""
    queryset = (
        CreditLedgerEntry.objects.filter(issuer=issuer)
        .select_related("created_by", "batch__badge_template_version")
        .order_by("-created_at", "-id")
    )
    return newest_page(queryset, field="created_at", after=after, size=size)


def credit_requests_recent(issuer, limit: int = 5) -> list[CreditRequest]:
    """The issuer's latest requests for credits (a pending one first, if any)."""
    return list(
        CreditRequest.objects.filter(issuer=issuer)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def credit_request_pending(issuer) -> CreditRequest | None:
    return CreditRequest.objects.filter(issuer=issuer, status=CreditRequestStatus.PENDING).first()
