from django.db import IntegrityError, transaction
from django.db.models import F

from core.exceptions import ApplicationError, ConflictError, NotFoundError, full_clean_or_raise
from issuers.exceptions import InsufficientCreditsError
from issuers.models import CreditLedgerEntry, CreditReason, Issuer, IssuerMembership, Role
from issuers.permissions import MANAGE_ISSUER, forget_roles, require_role


@transaction.atomic
def issuer_create(
    *,
    name: str,
    email: str,
    actor=None,
    url: str = "",
    description: str = "",
    timezone: str = "UTC",
    image=None,
    owner=None,
) -> Issuer:
    """Create an issuer; `owner` (default: the actor) becomes its first owner."""
    issuer = Issuer(
        name=(name or "").strip(),
        email=(email or "").strip().lower(),
        url=url or "",
        description=description or "",
        timezone=timezone or "UTC",
        created_by=actor,
    )
    if image is not None:
        issuer.image = image
    full_clean_or_raise(issuer, "The issuer is not valid.")
    issuer.save()
    owner = owner or actor
    if owner is not None:
        IssuerMembership.objects.create(issuer=issuer, user=owner, role=Role.OWNER)
        forget_roles(owner)
        _admit_to_admin(owner)
    # Its Open Badges 3.0 signing key (published in its did:web document).
    from credentials.services import issuer_key_create

    issuer_key_create(issuer=issuer)
    return issuer


@transaction.atomic
def issuer_update(*, issuer: Issuer, actor=None, **changes) -> Issuer:
    require_role(actor, issuer, MANAGE_ISSUER)
    allowed = {"name", "email", "url", "description", "timezone", "image"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            f"These issuer fields cannot be changed: {', '.join(sorted(unknown))}."
        )
    for field, value in changes.items():
        setattr(issuer, field, value)
    full_clean_or_raise(issuer, "The issuer is not valid.")
    issuer.save()
    return issuer


def _admit_to_admin(user) -> None:
    # Members work in the admin; earners (no membership) never need to.
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def _owner_count(issuer: Issuer) -> int:
    return IssuerMembership.objects.filter(issuer=issuer, role=Role.OWNER).count()


@transaction.atomic
def membership_add(*, issuer: Issuer, user, role: str = Role.STAFF, actor=None) -> IssuerMembership:
    require_role(actor, issuer, MANAGE_ISSUER)
    if role not in Role.values:
        raise ApplicationError(
            f"{role!r} is not a role; use one of {', '.join(Role.values)}.",
            field_errors={"role": [f"Choose one of {', '.join(Role.values)}."]},
        )
    try:
        with transaction.atomic():
            membership = IssuerMembership.objects.create(issuer=issuer, user=user, role=role)
    except IntegrityError:
        raise ConflictError(
            f"{user.email} is already a member of {issuer.name}.",
            field_errors={"user": ["Already a member of this issuer."]},
        ) from None
    forget_roles(user)
    _admit_to_admin(user)
    return membership


@transaction.atomic
def membership_change_role(*, membership: IssuerMembership, role: str, actor=None):
    require_role(actor, membership.issuer, MANAGE_ISSUER)
    if role not in Role.values:
        raise ApplicationError(f"{role!r} is not a role; use one of {', '.join(Role.values)}.")
    # Lock the issuer's owners so two demotions cannot each leave the other as last owner.
    list(
        IssuerMembership.objects.select_for_update().filter(
            issuer=membership.issuer, role=Role.OWNER
        )
    )
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and _owner_count(membership.issuer) == 1
    ):
        raise ConflictError(f"{membership.issuer.name} must keep at least one owner.")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    forget_roles(membership.user)
    return membership


@transaction.atomic
def membership_remove(*, membership: IssuerMembership, actor=None) -> None:
    require_role(actor, membership.issuer, MANAGE_ISSUER)
    list(
        IssuerMembership.objects.select_for_update().filter(
            issuer=membership.issuer, role=Role.OWNER
        )
    )
    if membership.role == Role.OWNER and _owner_count(membership.issuer) == 1:
        raise ConflictError(f"{membership.issuer.name} must keep at least one owner.")
    membership.delete()
    forget_roles(membership.user)


def _positive(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ApplicationError(
            "The number of credits must be a whole number above zero.",
            field_errors={"amount": ["Enter a whole number above zero."]},
        )
    return amount


def _balance(issuer_id: int) -> int:
    return Issuer.objects.filter(pk=issuer_id).values_list("credit_balance", flat=True).get()


@transaction.atomic
def credits_top_up(*, issuer: Issuer, amount: int, actor=None, note: str = "") -> CreditLedgerEntry:
    require_role(actor, issuer, MANAGE_ISSUER)
    amount = _positive(amount)
    Issuer.objects.filter(pk=issuer.pk).update(credit_balance=F("credit_balance") + amount)
    balance = _balance(issuer.pk)
    issuer.credit_balance = balance
    return CreditLedgerEntry.objects.create(
        issuer=issuer,
        amount=amount,
        balance_after=balance,
        reason=CreditReason.TOP_UP,
        note=note,
        created_by=actor,
    )


@transaction.atomic
def credits_reserve(
    *, issuer: Issuer, amount: int, actor=None, batch=None, note: str = ""
) -> CreditLedgerEntry:
    """Take `amount` credits, all or nothing; InsufficientCreditsError when they are not there.

    The conditional UPDATE locks the issuer row and re-checks the balance after any
    concurrent reservation commits, so the balance never goes below zero (and the check
    constraint would refuse it if it did).
    """
    amount = _positive(amount)
    taken = Issuer.objects.filter(pk=issuer.pk, credit_balance__gte=amount).update(
        credit_balance=F("credit_balance") - amount
    )
    if not taken:
        if not Issuer.objects.filter(pk=issuer.pk).exists():
            raise NotFoundError("The issuer no longer exists.")
        balance = _balance(issuer.pk)
        raise InsufficientCreditsError(
            f"Not enough credits: this needs {amount} and {issuer.name} has {balance}. "
            "Ask an owner of the issuer to top up.",
            field_errors={"credits": [f"Needed: {amount}. Available: {balance}."]},
        )
    balance = _balance(issuer.pk)
    issuer.credit_balance = balance
    return CreditLedgerEntry.objects.create(
        issuer=issuer,
        amount=-amount,
        balance_after=balance,
        reason=CreditReason.ASSIGNMENT,
        batch=batch,
        note=note,
        created_by=actor,
    )


@transaction.atomic
def credits_refund(
    *, issuer: Issuer, amount: int, actor=None, batch=None, note: str = ""
) -> CreditLedgerEntry:
    """Give back reserved credits that were not used (e.g. rows of a batch that failed)."""
    amount = _positive(amount)
    Issuer.objects.filter(pk=issuer.pk).update(credit_balance=F("credit_balance") + amount)
    balance = _balance(issuer.pk)
    issuer.credit_balance = balance
    return CreditLedgerEntry.objects.create(
        issuer=issuer,
        amount=amount,
        balance_after=balance,
        reason=CreditReason.REFUND,
        batch=batch,
        note=note,
        created_by=actor,
    )


@transaction.atomic
def issuer_delete(*, issuer: Issuer, actor=None) -> None:
    """Delete an issuer with no awarded badges (its templates go with it)."""
    from templates_app.models import BadgeTemplate, BadgeTemplateVersion

    require_role(actor, issuer, MANAGE_ISSUER)
    if issuer.assertions.exists():
        raise ConflictError(
            f"{issuer.name} has awarded badges and cannot be deleted; revoke them instead.",
            code="issuer_has_badges",
        )
    issuer.assignment_batches.all().delete()
    issuer.earners.all().delete()
    templates = BadgeTemplate.objects.filter(issuer=issuer)
    templates.update(current_version=None)
    BadgeTemplateVersion.objects.filter(template__issuer=issuer).delete()
    templates.delete()
    issuer.delete()
