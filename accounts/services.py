from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User, normalize_email
from core.exceptions import ApplicationError


def clean_email(email) -> str:
    """A person's email address as it is stored (lower-cased), or an ApplicationError on
    the `email` field: for earners, invitations, anything that names a person."""
    value = normalize_email(email if isinstance(email, str) else "")
    try:
        if len(value) > 254:  # RFC 5321's limit, and the columns'
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError:
        raise ApplicationError(
            f"{email!r} is not a valid email address.",
            field_errors={"email": ["Enter a valid email address."]},
            code="invalid_email",
        ) from None
    return value


@transaction.atomic
def user_update_profile(
    *, user: User, first_name: str | None = None, last_name: str | None = None
) -> User:
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user


EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 2 * 24 * 3600


def user_email_change_request(*, user: User, new_email: str, password: str) -> str:
    """Send a confirmation link to `new_email`; the address changes only when it is
    followed (so nobody can move an account to an address they do not own). Returns the
    link's token, or "" when another account uses the address: then that address gets a
    notice instead, and the caller's answer is the same as for a free address, so this
    form cannot tell anyone which addresses have accounts."""
    if not user.check_password(password or ""):
        raise ApplicationError(
            "Your password is not right.", field_errors={"password": ["Not your password."]}
        )
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise ApplicationError(
            f"{new_email!r} is not an email address.",
            field_errors={"new_email": ["Enter a valid email address."]},
        ) from None
    if new_email == user.email:
        raise ApplicationError(
            "That is already your address.", field_errors={"new_email": ["Already yours."]}
        )
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        send_mail(
            _("Someone asked to use this address on Badges"),
            _(
                "Someone asked to move another account to this address, but an account "
                "already uses it, so nothing changed. If it was you, sign in with this "
                "address instead. If it was not, ignore this email."
            ),
            None,
            [new_email],
        )
        return ""
    token = signing.dumps({"u": user.pk, "e": new_email, "o": user.email}, salt=EMAIL_CHANGE_SALT)
    link = settings.SITE_URL + reverse("account-email-confirm", args=[token])
    send_mail(
        "Confirm your new email address",
        f"Follow this link within two days to sign in with {new_email} from now on:\n\n"
        f"{link}\n\nIf you did not ask for this, ignore this email.",
        None,
        [new_email],
    )
    return token


@transaction.atomic
def user_email_change_confirm(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError("This link has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise ApplicationError("This link is not valid.") from None
    user = User.objects.select_for_update().filter(pk=data["u"]).first()
    # A link is good once: after the change the old address no longer matches.
    if user is None or user.email != data["o"]:
        raise ApplicationError("This link was already used or is out of date.")
    if User.objects.filter(email=data["e"]).exclude(pk=user.pk).exists():
        # Taken since the link was sent: the same words as for any stale link.
        raise ApplicationError("This link was already used or is out of date.")
    user.email = data["e"]
    user.save(update_fields=["email"])
    return user
