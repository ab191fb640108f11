import datetime as dt

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.http import base36_to_int, urlsafe_base64_decode
from django.utils.translation import gettext as _

from accounts.models import User, normalize_email
from core.emails import absolute_url
from core.exceptions import ApplicationError, NotFoundError, RateLimitedError
from core.i18n import language_or_default
from core.models import EmailKind
from core.services import email_queue
from core.throttle import rate_limit


def clean_email(email) -> str:
    """A person's email address as it is stored (lower-cased), or an ApplicationError on
    the `email` field: for earners, invitations, anything that names a person."""
    value = normalize_email(email if isinstance(email, str) else "")
    try:
        validate_email(value)
        valid = len(value) <= 254  # RFC 5321's limit, and the columns'
    except ValidationError:
        valid = False
    if not valid:
        raise ApplicationError(
            _("%(email)r is not a valid email address.") % {"email": email},
            field_errors={"email": [_("Enter a valid email address.")]},
            code="invalid_email",
        ) from None
    return value


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    language: str | None = None,
) -> User:
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ApplicationError(
            _("%(language)r is not a language of this platform.") % {"language": language},
            field_errors={"language": [_("Choose one of the languages offered.")]},
        )
    changed = []
    fields = (("first_name", first_name), ("last_name", last_name), ("language", language))
    for field, value in fields:
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user


EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 2 * 24 * 3600


def email_change_token(*, user: User, new_email: str) -> str:
    """The confirmation link's token: made when the email is sent (none is stored), and
    good once, since it names the address the account had then."""
    return signing.dumps({"u": user.pk, "e": new_email, "o": user.email}, salt=EMAIL_CHANGE_SALT)


def email_change_send_context(email) -> dict:
    """The confirmation link, made as the outbox sends it (core.emails)."""
    if email.user is None:
        raise ValueError("The account asking for this address is gone.")
    token = email_change_token(user=email.user, new_email=email.to_email)
    return {"confirm_url": settings.SITE_URL + reverse("account-email-confirm", args=[token])}


def _account_email_context(user: User | None, language: str = "") -> dict:
    return {
        "language": language_or_default(getattr(user, "language", ""), language),
        "login_url": absolute_url(reverse("login")),
    }


@transaction.atomic
def user_email_change_request(
    *, user: User, new_email: str, password: str, language: str = ""
) -> None:
    """Send a confirmation link to `new_email`; the address changes only when it is
    followed (so nobody can move an account to an address they do not own). When
    another account uses the address, that address gets a notice instead, and the
    caller's answer is the same as for a free address, so this form cannot tell anyone
    which addresses have accounts."""
    if not user.check_password(password or ""):
        raise ApplicationError(
            _("Your password is not right."),
            field_errors={"password": [_("Not your password.")]},
        )
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise ApplicationError(
            _("%(email)r is not an email address.") % {"email": new_email},
            field_errors={"new_email": [_("Enter a valid email address.")]},
        ) from None
    if new_email == user.email:
        raise ApplicationError(
            _("That is already your address."),
            field_errors={"new_email": [_("Already yours.")]},
        )
    context = _account_email_context(user, language)
    taken = User.objects.filter(email=new_email).exclude(pk=user.pk).exists()
    with translation.override(context["language"]):
        if taken:
            kind, subject = EmailKind.EMAIL_IN_USE, _("Someone asked to use this address")
        else:
            kind, subject = EmailKind.EMAIL_CHANGE, _("Confirm your new email address")
    email_queue(kind=kind, to_email=new_email, subject=subject, context=context, user=user)


PASSWORD_RESET_PER_ADDRESS = 3  # links to one address per window
PASSWORD_RESET_PER_CLIENT = 20  # requests from one client address per window
PASSWORD_RESET_WINDOW = 3600


@transaction.atomic
def password_reset_request(*, email: str, client: str = "", language: str = "") -> None:
    """Email a link to choose a new password to the account with `email`, if there is
    one. The caller answers the same either way (nothing here says whether the address
    has an account). Accounts made by an award that never got a password get the same
    link: it is how an earner whose first link expired gets a fresh one.

    Rate limited per address and per `client` (the requester's IP), whether or not the
    address has an account, so the limit itself tells nothing either; `language` is the
    requester's, for an account that has chosen none."""
    address = normalize_email(email if isinstance(email, str) else "")
    try:
        validate_email(address)
    except ValidationError:
        raise ApplicationError(
            _("Enter a valid email address."),
            field_errors={"email": [_("Enter a valid email address.")]},
            code="invalid_email",
        ) from None
    limits = [(f"to:{address}", PASSWORD_RESET_PER_ADDRESS)]
    if client:
        limits.append((f"from:{client}", PASSWORD_RESET_PER_CLIENT))
    if not rate_limit("password-reset", limits, PASSWORD_RESET_WINDOW):
        raise RateLimitedError(
            _("Too many requests for a new password. Try again in an hour."),
            retry_after=PASSWORD_RESET_WINDOW,
        )
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        return
    context = _account_email_context(user, language)
    context["to_email"] = user.email
    context["set_password_user_id"] = user.pk  # the link is made at send time
    with translation.override(context["language"]):
        subject = _("Choose a new password")
    email_queue(
        kind=EmailKind.PASSWORD_RESET,
        to_email=user.email,
        subject=subject,
        context=context,
        user=user,
    )


def password_link_user(*, uidb64: str, token: str) -> User:
    """The account a set-password / reset link is for, or an error if the link is not
    (or no longer) good: used once, expired, or made up."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = User.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        message = _(
            "This link is not valid: it was used already or has expired. Ask for a new one."
        )
        raise NotFoundError(message, code="invalid_link", field_errors={"token": [message]})
    return user


@transaction.atomic
def password_reset_confirm(
    *, uidb64: str, token: str, new_password1: str, new_password2: str
) -> User:
    """Set a new password with a link's `uidb64` and `token` (the link then stops
    working); the password rules are Django's validators, as on every page."""
    user = password_link_user(uidb64=uidb64, token=token)
    form = SetPasswordForm(user, {"new_password1": new_password1, "new_password2": new_password2})
    if not form.is_valid():
        raise ApplicationError(_("The password was not accepted."), field_errors=dict(form.errors))
    return form.save()


def password_link_expiry(token: str):
    """When a set-password / reset link made with `token` stops working (aware UTC), or
    None for a token that does not say."""
    try:
        made = base36_to_int(token.split("-")[0])
    except ValueError:
        return None
    epoch = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)  # Django's token clock starts here
    return epoch + dt.timedelta(seconds=made + settings.PASSWORD_RESET_TIMEOUT)


@transaction.atomic
def user_email_change_confirm(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError(_("This link has expired; ask for a new one.")) from None
    except signing.BadSignature:
        raise ApplicationError(_("This link is not valid.")) from None
    user = User.objects.select_for_update().filter(pk=data["u"]).first()
    # A link is good once: after the change the old address no longer matches.
    if user is None or user.email != data["o"]:
        raise ApplicationError(_("This link was already used or is out of date."))
    if User.objects.filter(email=data["e"]).exclude(pk=user.pk).exists():
        # Taken since the link was sent: the same words as for any stale link.
        raise ApplicationError(_("This link was already used or is out of date."))
    user.email = data["e"]
    user.save(update_fields=["email"])
    return user
