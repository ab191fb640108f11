"""A user's own OAuth2 access tokens, as /v2/auth/tokens shows them (Badgr's
AccessToken): listed, looked up by an opaque id, revoked, and made for one issuer.

A token's id is an HMAC of its database key under SECRET_KEY: stable, 22 url-safe
characters like every entity id, and telling nothing of the key or the token."""

import base64
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model, get_refresh_token_model, set_token_value

from core.exceptions import NotFoundError

ISSUER_SCOPE_PREFIX = "rw:issuer:"


def token_entity_id(token) -> str:
    digest = salted_hmac("accounts.tokens.entity-id", str(token.pk)).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def tokens_for_user(user) -> list:
    """The user's tokens that still work, newest first, with their applications."""
    model = get_access_token_model()
    return list(
        model.objects.filter(user=user, expires__gt=timezone.now())
        .select_related("application")
        .order_by("-created", "-pk")
    )


def token_for_user(user, entity_id: str):
    wanted = str(entity_id).encode("utf-8", "surrogatepass")
    for token in tokens_for_user(user):
        if secrets.compare_digest(token_entity_id(token).encode(), wanted):
            return token
    raise NotFoundError(_("No such token."))


@transaction.atomic
def access_token_revoke(*, token, actor) -> None:
    """Revoke one of `actor`'s own tokens, with the refresh token that would renew it."""
    if actor is None or token.user_id != actor.pk:
        raise NotFoundError(_("No such token."))
    refresh = get_refresh_token_model().objects.filter(access_token=token).first()
    if refresh is not None:
        refresh.revoke()  # revokes its access token too
    else:
        token.revoke()


def access_token_create(*, user, application, scope: str, lifetime: timedelta) -> tuple:
    """A new access token (stored hashed) and its raw value, shown once."""
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user, application=application, scope=scope, expires=timezone.now() + lifetime
    )
    set_token_value(token, raw)
    token.save()
    return token, raw


def token_issuer_ids(scopes: set[str]) -> frozenset[str] | None:
    """The issuers an issuer-scoped token (`rw:issuer:<entityId>` only) is limited to;
    None for a token that is not limited that way."""
    ids = {s[len(ISSUER_SCOPE_PREFIX) :] for s in scopes if s.startswith(ISSUER_SCOPE_PREFIX)}
    if not ids or scopes & {"rw:issuer", "r:issuer"}:
        return None
    return frozenset(ids)
