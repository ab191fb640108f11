import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User, normalize_email
from accounts.services import clean_email
from accounts.tokens import ISSUER_SCOPE_PREFIX, access_token_create
from core.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    full_clean_or_raise,
)
from core.i18n import language_or_default
from core.models import EmailKind
from core.placeholders import placeholders_unknown
from core.services import email_queue
from core.uploads import image_accept
from issuers.exceptions import InsufficientCreditsError
from issuers.models import (
    EMAIL_PLACEHOLDERS,
    CreditLedgerEntry,
    CreditReason,
    CreditRequest,
    CreditRequestStatus,
    Invitation,
    InvitationStatus,
    Issuer,
    IssuerMembership,
    IssuerRequest,
    RequestStatus,
    Role,
)
from issuers.permissions import (
    MANAGE_ISSUER,
    MANAGE_TEMPLATES,
    forget_roles,
    has_role,
    must_ask_for_issuer,
    require_issuer_creation,
    require_operator,
    require_role,
)
from issuers.selectors import operators
from issuers.signals import issuer_created


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
    """Create an issuer; `owner` (default: the actor) becomes its first owner.

    Who may is settings.ISSUER_CREATION (issuers.permissions.may_create_issuer);
    `actor=None` is the system (demo data, the Badgr import command)."""
    if actor is not None:
        require_issuer_creation(actor)
    issuer = Issuer(
        name=(name or "").strip(),
        email=(email or "").strip().lower(),
        url=url or "",
        description=description or "",
        timezone=timezone or "UTC",
        created_by=actor,
    )
    if image is not None:
        issuer.image = _gated_image(image)
    full_clean_or_raise(issuer, "The issuer is not valid.")
    issuer.save()
    owner = owner or actor
    if owner is not None:
        membership_add(issuer=issuer, user=owner, role=Role.OWNER)
    # Its Open Badges 3.0 signing key (credentials), in this transaction.
    issuer_created.send(sender=Issuer, issuer=issuer)
    if settings.CREDITS_INITIAL_GRANT > 0:
        credits_top_up(
            issuer=issuer, amount=settings.CREDITS_INITIAL_GRANT, note=_("Initial grant")
        )
    return issuer


@transaction.atomic
def issuer_update(*, issuer: Issuer, actor=None, **changes) -> Issuer:
    require_role(actor, issuer, MANAGE_ISSUER)
    allowed = {"name", "email", "url", "description", "timezone", "image"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            _("These issuer fields cannot be changed: %(names)s.")
            % {"names": ", ".join(sorted(unknown))}
        )
    if changes.get("image"):  # "" or None clears it
        changes["image"] = _gated_image(changes["image"])
    for field, value in changes.items():
        setattr(issuer, field, value)
    full_clean_or_raise(issuer, "The issuer is not valid.")
    issuer.save()
    return issuer


def _gated_image(upload):
    """The upload as the gate accepts it, named by its sniffed type; written with the
    issuer, so nothing is stored when anything is refused."""
    return image_accept(upload).as_file()


def _admit_to_admin(user) -> None:
    # Members work in the admin (it is their UI for members, credits and the outbox);
    # earners, with no membership, never get in. A membership comes only from an
    # operator's decision (an issuer created or approved), an accepted invitation, or
    # ISSUER_CREATION = "open" (where anyone may run an issuer): never from an API call
    # alone under the default.
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def _owner_count(issuer: Issuer) -> int:
    return IssuerMembership.objects.filter(issuer=issuer, role=Role.OWNER).count()


@transaction.atomic
def membership_add(*, issuer: Issuer, user, role: str = Role.STAFF) -> IssuerMembership:
    """Make `user` a member: the system's step, with no actor. People join by accepting
    an invitation (invitation_accept), or as the first owner of an issuer; nobody is
    added to an issuer without having asked or accepted."""
    if role not in Role.values:
        raise ApplicationError(
            _("%(role)r is not a role; use one of %(names)s.")
            % {"role": role, "names": ", ".join(Role.values)},
            field_errors={
                "role": [_("Choose one of %(names)s.") % {"names": ", ".join(Role.values)}]
            },
        )
    try:
        with transaction.atomic():
            membership = IssuerMembership.objects.create(issuer=issuer, user=user, role=role)
    except IntegrityError:
        raise ConflictError(
            _("%(email)s is already a member of %(issuer)s.")
            % {"email": user.email, "issuer": issuer.name},
            field_errors={"user": [_("Already a member of this issuer.")]},
        ) from None
    forget_roles(user)
    _admit_to_admin(user)
    return membership


@transaction.atomic
def membership_change_role(*, membership: IssuerMembership, role: str, actor=None):
    require_role(actor, membership.issuer, MANAGE_ISSUER)
    if role not in Role.values:
        raise ApplicationError(
            _("%(role)r is not a role; use one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)},
            field_errors={"role": [_("Choose one of %(r)s.") % {"r": ", ".join(Role.values)}]},
        )
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
        raise ConflictError(
            _("%(issuer)s must keep at least one owner.") % {"issuer": membership.issuer.name},
            code="last_owner",
        )
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
        raise ConflictError(
            _("%(issuer)s must keep at least one owner.") % {"issuer": membership.issuer.name},
            code="last_owner",
        )
    membership.delete()
    forget_roles(membership.user)


def _positive(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ApplicationError(
            _("The number of credits must be a whole number above zero."),
            field_errors={"amount": [_("Enter a whole number above zero.")]},
        )
    return amount


# The most credits one grant or request may carry: far above any real need, and far
# below what the balance column holds, however many grants add up.
MAX_CREDITS_AT_ONCE = 1_000_000_000


def _grant_amount(amount) -> int:
    amount = _positive(amount)
    if amount > MAX_CREDITS_AT_ONCE:
        raise ApplicationError(
            _("At most %(max)s credits at once.") % {"max": f"{MAX_CREDITS_AT_ONCE:,}"},
            field_errors={
                "amount": [_("Enter at most %(max)s.") % {"max": f"{MAX_CREDITS_AT_ONCE:,}"}]
            },
        )
    return amount


def _balance(issuer_id: int) -> int:
    return Issuer.objects.filter(pk=issuer_id).values_list("credit_balance", flat=True).get()


@transaction.atomic
def credits_top_up(
    *, issuer: Issuer, amount: int, actor=None, note: str = "", period: str = ""
) -> CreditLedgerEntry:
    """Grant credits: platform operators only (owners ask with credit_request_create).
    `actor=None` is the system: demo data and the automatic grants (`period`, the month
    of a monthly grant, makes a second grant for the same month an IntegrityError)."""
    require_operator(
        actor,
        _(
            "Credits are granted by the platform's operators; an owner of the issuer can "
            "ask them for more."
        ),
    )
    amount = _grant_amount(amount)
    Issuer.objects.filter(pk=issuer.pk).update(credit_balance=F("credit_balance") + amount)
    balance = _balance(issuer.pk)
    issuer.credit_balance = balance
    return CreditLedgerEntry.objects.create(
        issuer=issuer,
        amount=amount,
        balance_after=balance,
        reason=CreditReason.TOP_UP,
        note=note or "",
        period=period,
        created_by=actor,
    )


def credits_grant_monthly(*, now=None) -> int:
    """Grant CREDITS_MONTHLY_GRANT to every issuer that has not had this month's grant;
    return how many were granted. Safe to run any number of times, at once too: the
    ledger holds one grant per issuer and month (issuers_ledger_one_grant_per_period)."""
    amount = settings.CREDITS_MONTHLY_GRANT
    if amount <= 0:
        return 0
    period = (now or django_timezone.now()).strftime("%Y-%m")
    due = Issuer.objects.exclude(credit_entries__period=period).order_by("pk")
    granted = 0
    for issuer in due.iterator():
        try:
            with transaction.atomic():
                credits_top_up(
                    issuer=issuer,
                    amount=amount,
                    period=period,
                    note=_("Monthly grant for %(period)s") % {"period": period},
                )
        except IntegrityError:
            continue  # granted meanwhile by another run
        granted += 1
    return granted


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
            raise NotFoundError(_("The issuer no longer exists."))
        balance = _balance(issuer.pk)
        raise InsufficientCreditsError(
            _(
                "Not enough credits: this needs %(amount)s and %(issuer)s has %(balance)s. "
                "Ask an owner of the issuer to top up."
            )
            % {"amount": amount, "issuer": issuer.name, "balance": balance},
            field_errors={
                "credits": [
                    _("Needed: %(amount)s. Available: %(balance)s.")
                    % {"amount": amount, "balance": balance}
                ]
            },
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
    """Delete an issuer with no awarded badges (its templates go with it).

    The rows of the apps above this one are reached through their relations to the
    issuer, not imported."""
    require_role(actor, issuer, MANAGE_ISSUER)
    if issuer.assertions.exists():
        raise ConflictError(
            _("%(issuer)s has awarded badges and cannot be deleted; revoke them instead.")
            % {"issuer": issuer.name},
            code="issuer_has_badges",
        )
    issuer.assignment_batches.all().delete()
    issuer.earners.all().delete()
    # A template and its versions protect each other: unlink the current version first.
    templates = issuer.badge_templates.all()
    templates.update(current_version=None)
    for template in templates:
        template.versions.all().delete()
    templates.delete()
    issuer.delete()


# --- operators' emails -----------------------------------------------------------------


def _email_user(
    *, kind: str, user, subject: str, params: dict, context: dict, to_email="", link=True
):
    """Queue an email to `user` in their language (else the requester's, else the
    platform's): `subject` is the msgid (gettext_noop), filled with `params`. With
    `link=False` the outbox row names no account (only the address)."""
    language = language_or_default(getattr(user, "language", ""), translation.get_language())
    with translation.override(language):
        text = _(subject) % params
    email_queue(
        kind=kind,
        to_email=to_email or user.email,
        subject=text,
        context={**context, "language": language},
        user=user if link else None,
    )


def _email_operators(*, kind: str, subject: str, params: dict, context: dict) -> int:
    """Queue one email per operator (with the change that causes it), each in the
    operator's language; how many."""
    sent = 0
    for operator in operators().exclude(email=""):
        _email_user(kind=kind, user=operator, subject=subject, params=params, context=context)
        sent += 1
    return sent


def _admin_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(f"admin:{name}", args=args)


# --- issuer requests (ISSUER_CREATION = "approval") ------------------------------------

ISSUER_REQUEST_FIELDS = {"name", "email", "url", "description", "timezone"}


@transaction.atomic
def issuer_request_create(*, actor, **fields) -> IssuerRequest:
    """Ask the operators for a new issuer with these profile fields; they are emailed."""
    if not must_ask_for_issuer(actor):
        require_issuer_creation(actor)
        raise ApplicationError(_("You may create the issuer yourself; no request needed."))
    unknown = set(fields) - ISSUER_REQUEST_FIELDS
    if unknown:
        raise ApplicationError(
            _("A request for an issuer holds its profile only; add these once it exists: %(f)s.")
            % {"f": ", ".join(sorted(unknown))},
            field_errors={name: [_("Add this once the issuer exists.")] for name in unknown},
        )
    # Validated as the issuer would be, so an approval cannot fail on the profile.
    profile = Issuer(
        name=(fields.get("name") or "").strip(),
        email=normalize_email(fields.get("email")),
        url=fields.get("url") or "",
        description=fields.get("description") or "",
        timezone=fields.get("timezone") or "UTC",
    )
    full_clean_or_raise(profile, _("The issuer is not valid."), exclude=["image"])
    waiting = IssuerRequest.objects.filter(requested_by=actor, status=RequestStatus.PENDING)
    if waiting.exists():
        raise ConflictError(
            _(
                "Your request for %(name)s is still waiting for the operators' decision; "
                "you can ask for another once it is decided."
            )
            % {"name": waiting.first().name},
            code="issuer_request_pending",
        )
    try:
        with transaction.atomic():
            request = IssuerRequest.objects.create(
                requested_by=actor,
                name=profile.name,
                email=profile.email,
                url=profile.url,
                description=profile.description,
                timezone=profile.timezone,
            )
    except IntegrityError:  # a concurrent request of the same person
        raise ConflictError(
            _("Your earlier request is still waiting for the operators' decision."),
            code="issuer_request_pending",
        ) from None
    _email_operators(
        kind=EmailKind.ISSUER_REQUESTED,
        subject=gettext_noop("New issuer requested: %(name)s"),
        params={"name": request.name},
        context={
            "issuer_name": request.name,
            "issuer_email": request.email,
            "requester_email": actor.email,
            "requester_name": actor.get_full_name(),
            "review_url": _admin_url("issuers_issuerrequest_change", request.pk),
        },
    )
    return request


def _decide(request, actor, status):
    """Lock a pending request (for an issuer, for credits) and mark it decided; a
    request decided already (twice clicked, two operators at once) is a conflict."""
    locked = type(request).objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.PENDING:
        raise ConflictError(
            _("This request was %(status)s already.")
            % {"status": locked.get_status_display().lower()}
        )
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = django_timezone.now()
    return locked


@transaction.atomic
def issuer_request_approve(*, issuer_request: IssuerRequest, actor, note: str = "") -> Issuer:
    """An operator approves: the issuer is created with the requester as its owner."""
    require_operator(actor, _("Issuer requests are decided by the platform's operators."))
    request = _decide(issuer_request, actor, RequestStatus.APPROVED)
    request.decision_note = (note or "")[:255]
    issuer = issuer_create(
        actor=None,
        owner=request.requested_by,
        name=request.name,
        email=request.email,
        url=request.url,
        description=request.description,
        timezone=request.timezone,
    )
    issuer.created_by = actor
    issuer.save(update_fields=["created_by"])
    request.issuer = issuer
    request.save()
    _email_decision(request)
    return issuer


@transaction.atomic
def issuer_request_decline(
    *, issuer_request: IssuerRequest, actor, note: str = ""
) -> IssuerRequest:
    require_operator(actor, _("Issuer requests are decided by the platform's operators."))
    request = _decide(issuer_request, actor, RequestStatus.DECLINED)
    request.decision_note = (note or "")[:255]
    request.save()
    _email_decision(request)
    return request


def _email_decision(request: IssuerRequest) -> None:
    approved = request.status == RequestStatus.APPROVED
    _email_user(
        kind=EmailKind.ISSUER_REQUEST_DECIDED,
        user=request.requested_by,
        subject=gettext_noop("Your issuer %(name)s is ready")
        if approved
        else gettext_noop("Your request for %(name)s"),
        params={"name": request.name},
        context={
            "issuer_name": request.name,
            "approved": approved,
            "note": request.decision_note,
            "dashboard_url": settings.SITE_URL
            + reverse("issuer-dashboard", args=[request.issuer.entity_id])
            if approved
            else "",
        },
    )


# --- credit requests -------------------------------------------------------------------


@transaction.atomic
def credit_request_create(*, issuer: Issuer, actor, amount: int, note: str = "") -> CreditRequest:
    """An owner asks the operators for credits; they are emailed and decide."""
    require_role(actor, issuer, MANAGE_ISSUER)
    amount = _grant_amount(amount)
    try:
        with transaction.atomic():
            request = CreditRequest.objects.create(
                issuer=issuer, amount=amount, note=(note or "")[:255], requested_by=actor
            )
    except IntegrityError:
        raise ConflictError(
            _("%(issuer)s has a request for credits waiting already.") % {"issuer": issuer.name},
            code="credit_request_pending",
        ) from None
    _email_operators(
        kind=EmailKind.CREDITS_REQUESTED,
        subject=gettext_noop("%(issuer)s asks for %(amount)s credits"),
        params={"issuer": issuer.name, "amount": amount},
        context={
            "issuer_name": issuer.name,
            "amount": amount,
            "note": request.note,
            "balance": issuer.credit_balance,
            "requester_email": getattr(actor, "email", ""),
            "review_url": _admin_url("issuers_creditrequest_change", request.pk),
        },
    )
    return request


@transaction.atomic
def credit_request_grant(*, credit_request: CreditRequest, actor) -> CreditLedgerEntry:
    require_operator(actor, _("Credits are granted by the platform's operators."))
    request = _decide(credit_request, actor, CreditRequestStatus.GRANTED)
    entry = credits_top_up(
        issuer=request.issuer,
        amount=request.amount,
        actor=actor,
        note=(_("Requested: %(note)s") % {"note": request.note})[:255]
        if request.note
        else _("Requested"),
    )
    request.entry = entry
    request.save()
    return entry


@transaction.atomic
def credit_request_decline(*, credit_request: CreditRequest, actor) -> CreditRequest:
    require_operator(actor, _("Credit requests are decided by the platform's operators."))
    request = _decide(credit_request, actor, CreditRequestStatus.DECLINED)
    request.save()
    return request


# --- invitations -----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, issuer: Issuer, email: str, role: str = Role.STAFF, actor=None
) -> Invitation:
    """Invite an email address to join `issuer` with `role` (owners). The person gets an
    email and joins only by accepting it. Nothing in the answer depends on whether an
    account uses the address."""
    require_role(actor, issuer, MANAGE_ISSUER)
    email = clean_email(email)
    if role not in Role.values:
        raise ApplicationError(
            _("%(role)r is not a role; use one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)},
            field_errors={"role": [_("Choose one of %(r)s.") % {"r": ", ".join(Role.values)}]},
        )
    # Owners see their members' addresses in the member list: saying so reveals nothing.
    if IssuerMembership.objects.filter(issuer=issuer, user__email=email).exists():
        raise ConflictError(
            _("%(email)s is already a member of %(issuer)s.")
            % {"email": email, "issuer": issuer.name},
            field_errors={"email": [_("Already a member of this issuer.")]},
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                issuer=issuer, email=email, role=role, invited_by=actor
            )
    except IntegrityError:
        raise ConflictError(
            _("%(email)s has a pending invitation to %(issuer)s; revoke it to send another.")
            % {"email": email, "issuer": issuer.name},
            field_errors={"email": [_("Invited already; the invitation is pending.")]},
        ) from None
    # The invited person's language if they have an account, else the inviter's.
    invitee = User.objects.filter(email=email).first()
    _email_user(
        kind=EmailKind.MEMBER_INVITED,
        user=invitee,
        link=False,
        to_email=email,
        subject=gettext_noop("Join %(issuer)s on Badges"),
        params={"issuer": issuer.name},
        context={
            "invitation_id": invitation.pk,
            "issuer_name": issuer.name,
            "role": invitation.get_role_display(),
            "inviter_name": actor.get_full_name() if actor is not None else issuer.name,
        },
    )
    return invitation


def invitation_link(*, invitation_id: int) -> str:
    """The accept link of a pending invitation, with a new token (an earlier email's link
    stops working). Called as its email is sent, so the validity starts then."""
    token = secrets.token_urlsafe(32)
    expires = django_timezone.now() + timedelta(days=settings.INVITATION_TIMEOUT_DAYS)
    updated = Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING).update(
        token_hash=_token_hash(token), expires_at=expires
    )
    if not updated:
        raise ApplicationError(_("The invitation was revoked or accepted before it was sent."))
    return settings.SITE_URL + reverse("invitation-accept", args=[token])


def invitation_by_token(token: str, *, lock: bool = False) -> Invitation:
    """The pending, unexpired invitation of a link's token; one error for every other
    case, so a link says nothing of why it does not work."""
    invitations = Invitation.objects.select_related("issuer")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(
        token_hash=_token_hash(token or ""),
        status=InvitationStatus.PENDING,
        expires_at__gt=django_timezone.now(),
    ).first()
    if invitation is None or not token:
        raise NotFoundError(
            _("This invitation link is not valid: it was used, revoked or has expired.")
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> IssuerMembership:
    """The invited person, signed in with the invited address, joins the issuer."""
    invitation = invitation_by_token(token, lock=True)
    if normalize_email(user.email) != invitation.email:
        raise PermissionDeniedError(
            _(
                "This invitation was sent to another address. Sign in with the address "
                "it was sent to, then follow the link again."
            )
        )
    membership = membership_add(issuer=invitation.issuer, user=user, role=invitation.role)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.decided_at = django_timezone.now()
    invitation.token_hash = ""
    invitation.save(update_fields=["status", "accepted_by", "decided_at", "token_hash"])
    return membership


@transaction.atomic
def invitation_accept_with_password(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> tuple[User, IssuerMembership]:
    """Accept for an address whose owner cannot sign in yet: no account, or one made by
    an award whose set-password link was never used. The link proves the address (as a
    set-password link does), so the password is set with it and the invitation accepted.
    An account that has a password signs in instead."""
    invitation = invitation_by_token(token, lock=True)
    user = User.objects.select_for_update().filter(email=invitation.email).first()
    if user is not None and user.has_usable_password():
        raise ConflictError(
            _("An account uses this address already: sign in with it to accept."),
            code="account_exists",
        )
    user = user or User(email=invitation.email)
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if (value or "").strip():
            setattr(user, field, value.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            _("Choose another password."), field_errors={"password": exc.messages}
        ) from None
    user.set_password(password)
    user.save()
    return user, invitation_accept(token=token, user=user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor=None) -> Invitation:
    require_role(actor, invitation.issuer, MANAGE_ISSUER)
    revoked = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, token_hash="", decided_at=django_timezone.now()
    )
    if not revoked:
        raise ConflictError(_("Only a pending invitation can be revoked."))
    invitation.refresh_from_db()
    return invitation


EMAIL_TEMPLATE_FIELDS = ("email_subject", "email_greeting", "email_body", "email_closing")


@transaction.atomic
def issuer_email_settings_update(*, issuer: Issuer, actor=None, **changes) -> Issuer:
    """The issuer's own words for its badge emails (subject, greeting, Markdown body,
    closing; blank: the platform's), its default language for earners who have none, and
    how many days before expiry earners are reminded (0: never). Placeholders must be
    among EMAIL_PLACEHOLDERS; anything else is refused, field by field."""
    require_role(actor, issuer, MANAGE_TEMPLATES)
    allowed = {*EMAIL_TEMPLATE_FIELDS, "language", "expiry_reminder_days"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    errors = {}
    for field in EMAIL_TEMPLATE_FIELDS:
        if field in changes:
            changes[field] = (changes[field] or "").strip()
            wrong = placeholders_unknown(changes[field], EMAIL_PLACEHOLDERS)
            if wrong:
                errors[field] = [
                    _("Unknown placeholder %(wrong)s; use %(allowed)s.")
                    % {
                        "wrong": ", ".join(wrong),
                        "allowed": ", ".join("{{ " + p + " }}" for p in EMAIL_PLACEHOLDERS),
                    }
                ]
    days = changes.get("expiry_reminder_days")
    if days is not None and not (isinstance(days, int) and 0 <= days <= 365):
        errors["expiry_reminder_days"] = [_("Give a number of days from 0 to 365.")]
    if errors:
        raise ApplicationError(_("The email settings are not valid."), field_errors=errors)
    for field, value in changes.items():
        setattr(issuer, field, value)
    full_clean_or_raise(issuer, _("The email settings are not valid."))
    issuer.save(update_fields=[*changes, "updated_at"])
    return issuer


@dataclass(frozen=True)
class IssuerToken:
    issuer: str  # entity id
    token: str  # the raw value, shown once
    expires: datetime


@transaction.atomic
def issuer_tokens_create(*, actor, application, issuer_ids: list[str]) -> list[IssuerToken]:
    """Badgr's issuer tokens: for each issuer `actor` owns, an access token of
    `application` acting as `actor` in that issuer only (scope `rw:issuer:<entityId>`).
    Any issuer they do not own (or that does not exist) refuses all, by name."""
    if application is None:
        raise PermissionDeniedError(
            _("Issuer tokens are asked for with an OAuth2 access token."),
            field_errors={"issuers": [_("Sign in with an OAuth2 token to ask for these.")]},
        )
    ids = list(dict.fromkeys(str(i) for i in issuer_ids))
    issuers = {i.entity_id: i for i in Issuer.objects.filter(entity_id__in=ids)}
    unknown = [i for i in ids if i not in issuers or not has_role(actor, issuers[i], Role.OWNER)]
    if unknown:
        raise ApplicationError(
            _("You own no issuer with the id %(ids)s.") % {"ids": ", ".join(unknown)},
            field_errors={"issuers": [_("Give the entityIds of issuers you own.")]},
        )
    lifetime = timedelta(days=settings.ISSUER_TOKEN_LIFETIME_DAYS)
    made = []
    for entity_id in ids:
        token, raw = access_token_create(
            user=actor,
            application=application,
            scope=f"{ISSUER_SCOPE_PREFIX}{entity_id}",
            lifetime=lifetime,
        )
        made.append(IssuerToken(issuer=entity_id, token=raw, expires=token.expires))
    return made
