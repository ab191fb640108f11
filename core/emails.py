"""Rendering outbox rows: `templates/emails/<kind>.txt` and `.html`; the subject is stored.

The row's context holds plain values captured when the email was queued. A set-password
link is made at send time from `set_password_user_id`, so no live token sits in the
database and the link's validity starts when the email leaves.

Mail clients load nothing relative to a page they do not have: every link and image of
an email is absolute (`absolute_url`: `SITE_URL`, or the storage's own public URL). Two
context keys are read here rather than by the templates: `language`, the language the
email is written in (the subject was translated when it was queued), and `reply_to`,
the address answers go to (an issuer's, for the emails about its badges).
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.i18n import language_or_default

# Context an app adds when one of its emails is sent, by kind: a link whose token is
# made at that moment (so none is stored in the outbox). Registered in AppConfig.ready.
_send_time_context: dict[str, Callable] = {}


def register_send_time_context(kind: str, make: Callable) -> None:
    """`make(email)` returns extra template context for rows of `kind`; an exception it
    raises fails the send like an SMTP error would (the row keeps the message)."""
    _send_time_context[kind] = make


def absolute_url(url: str) -> str:
    """`url` as a mail client can load it: a path of this site gets `SITE_URL` in front;
    an address that is already absolute (a bucket's or CDN's) stays as it is."""
    if not url or url.startswith(("http://", "https://")):
        return url or ""
    return settings.SITE_URL + ("" if url.startswith("/") else "/") + url


def set_password_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("set-password", kwargs={"uidb64": uid, "token": token})


def link_lifetime_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def render_email(email) -> tuple[str, str, str]:
    context = dict(email.context)
    context["site_url"] = settings.SITE_URL
    language = language_or_default(context.get("language"))
    context["language"] = language
    with translation.override(language):
        if context.get("set_password_user_id") and email.user is not None:
            context["set_password_url"] = set_password_url(email.user)
        context.setdefault("link_days", link_lifetime_days())
        if email.kind in _send_time_context:
            context.update(_send_time_context[email.kind](email))
        base = f"emails/{email.kind}"
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    return " ".join(email.subject.split()), text, html


def reply_to(email) -> list[str]:
    address = (email.context or {}).get("reply_to")
    return [address] if address else []
