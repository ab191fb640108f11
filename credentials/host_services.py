"""The writes of the Open Badges 3.0 API (this site as a "host" a wallet or another
platform connects to): dynamic client registration (RFC 7591), credentials pushed into
an earner's backpack (`upsertCredential`), and the earner's profile (`putProfile`).

Every credential is verified (`credentials.verify`) before it is kept: one that is not
valid, or that cannot be verified here, is refused with the verifier's reason.
"""

import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model

from core.exceptions import ApplicationError, ConflictError
from core.validators import validate_web_url
from credentials import verify
from credentials.documents import person_profile_id
from credentials.models import HeldCredential, RegisteredClient

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
SCOPE_CREDENTIAL_READ = SCOPE_BASE + "credential.readonly"
SCOPE_CREDENTIAL_UPSERT = SCOPE_BASE + "credential.upsert"
SCOPE_PROFILE_READ = SCOPE_BASE + "profile.readonly"
SCOPE_PROFILE_UPDATE = SCOPE_BASE + "profile.update"
SCOPES = {
    SCOPE_CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated "
    "entity.",
    SCOPE_CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the "
    "authenticated entity.",
    SCOPE_PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    SCOPE_PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}
# RFC 7591 metadata that are URLs a person may follow: absolute http(s) only.
_URL_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")


class RegistrationError(ApplicationError):
    """RFC 7591 §3.2.2: `code` is the registration error (`invalid_redirect_uri`,
    `invalid_client_metadata`)."""

    default_code = "invalid_client_metadata"


# --- client registration (RFC 7591) -------------------------------------------------------


def _string_list(metadata: dict, name: str, *, required: bool = False) -> list[str]:
    value = metadata.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RegistrationError(
            _("%(field)s must be a non-empty list of strings.") % {"field": name},
            code="invalid_redirect_uri" if name == "redirect_uris" else None,
            field_errors={name: [_("A non-empty list of strings.")]},
        )
    return value


@transaction.atomic
def client_register(*, metadata) -> tuple[RegisteredClient, str]:
    """Register an OAuth 2.0 client of the OB 3.0 API from its RFC 7591 metadata:
    (the registration, the client secret, shown this once; only its hash is kept)."""
    if not isinstance(metadata, dict):
        raise RegistrationError(_("The registration request must be a JSON object."))
    name = metadata.get("client_name")
    if not isinstance(name, str) or not name.strip():
        raise RegistrationError(
            _("client_name is required."), field_errors={"client_name": [_("Required.")]}
        )
    redirect_uris = _string_list(metadata, "redirect_uris", required=True)
    schemes = settings.OAUTH2_PROVIDER.get("ALLOWED_REDIRECT_URI_SCHEMES", ["https"])
    for uri in redirect_uris:
        scheme = uri.split(":", 1)[0].lower()
        if scheme not in schemes or "#" in uri or "://" not in uri:
            raise RegistrationError(
                _("The redirect URI %(uri)s is not an absolute %(schemes)s URL without a fragment.")
                % {"uri": uri, "schemes": "/".join(schemes)},
                code="invalid_redirect_uri",
                field_errors={"redirect_uris": [_("Absolute URLs without a fragment.")]},
            )
    for field in _URL_FIELDS:
        if field in metadata:
            try:
                validate_web_url(metadata[field])
            except Exception:  # noqa: BLE001 - any refusal is the same answer here
                raise RegistrationError(
                    _("%(field)s must be an absolute http(s) URL.") % {"field": field},
                    field_errors={field: [_("An absolute http(s) URL.")]},
                ) from None
    grant_types = _string_list(metadata, "grant_types") or ["authorization_code", "refresh_token"]
    if not set(grant_types) <= {"authorization_code", "refresh_token"}:
        raise RegistrationError(
            _("grant_types may be authorization_code and refresh_token only."),
            field_errors={"grant_types": [_("authorization_code, refresh_token.")]},
        )
    response_types = _string_list(metadata, "response_types") or ["code"]
    if response_types != ["code"]:
        raise RegistrationError(
            _("response_types may be code only."), field_errors={"response_types": ["code"]}
        )
    auth_method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in ("client_secret_basic", "client_secret_post"):
        raise RegistrationError(
            _("token_endpoint_auth_method may be client_secret_basic or client_secret_post."),
            field_errors={"token_endpoint_auth_method": ["client_secret_basic"]},
        )
    scope = metadata.get("scope", " ".join(SCOPES))
    scopes = scope.split() if isinstance(scope, str) else None
    if not scopes or not set(scopes) <= set(SCOPES):
        raise RegistrationError(
            _("scope must name Open Badges 3.0 scopes only: %(scopes)s.")
            % {"scopes": " ".join(SCOPES)},
            code="invalid_client_metadata",
            field_errors={"scope": [_("Open Badges 3.0 scopes, space-separated.")]},
        )
    secret = secrets.token_urlsafe(32)
    Application = get_application_model()
    application = Application.objects.create(
        name=name.strip()[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret,
        algorithm="",
    )
    registered = {
        **{k: v for k, v in metadata.items() if isinstance(k, str)},
        "client_name": name.strip(),
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": auth_method,
        "scope": " ".join(scopes),
    }
    client = RegisteredClient.objects.create(
        application=application, scope=" ".join(scopes), metadata=registered
    )
    return client, secret


# --- credentials pushed into a backpack ---------------------------------------------------


class CredentialRefusedError(ApplicationError):
    default_code = "invalid_data"


def _issued_at(document: dict) -> datetime:
    value = document.get("validFrom") or document.get("issuanceDate")
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return timezone.now()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@transaction.atomic
def held_credential_upsert(*, user, credential) -> tuple[HeldCredential, bool]:
    """Keep a verified credential (a compact JWS string, or a JSON credential with a Data
    Integrity proof) in `user`'s backpack: (the row, whether it was new). The same
    credential id pushed again replaces the one kept."""
    item = credential.strip() if isinstance(credential, str) else credential
    if isinstance(item, str) and not verify.is_compact_jws(item):
        raise CredentialRefusedError(_("The body is not a compact JWS (VC-JWT)."))
    if not isinstance(item, str | dict):
        raise CredentialRefusedError(_("The body is not a credential."))
    # The earner asks for it: another site's did:web and status list are fetched.
    report = verify.verify_item(item, fetch_remote=True)
    if report.verdict != "valid":
        raise CredentialRefusedError(
            _("The credential was not kept: %(reason)s") % {"reason": report.summary}
        )
    document = report.credential or {}
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise CredentialRefusedError(
            _("The credential has no id: it cannot be told apart from others."),
            field_errors={"id": [_("Required.")]},
        )
    values = {
        "compact_jws": item if isinstance(item, str) else "",
        "document": document,
        "issuer_did": report.issuer_did,
        "issued_at": _issued_at(document),
    }
    existing = (
        HeldCredential.objects.select_for_update()
        .filter(user=user, credential_id=credential_id)
        .first()
    )
    if existing is not None:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*values, "updated_at"])
        return existing, False
    held, created = HeldCredential.objects.get_or_create(
        user=user, credential_id=credential_id, defaults=values
    )
    if not created:  # pushed twice at once: the other one won; answer as a replacement
        raise ConflictError(_("The same credential is being stored already; try again."))
    return held, True


# --- the earner's profile -----------------------------------------------------------------


@transaction.atomic
def profile_update(*, user, profile) -> None:
    """putProfile: the names a Profile gives (`givenName`, `familyName`, or `name`) become
    the account's. Its `id` must be the account's; an email is not changed here (the
    account's email is its login, proved by a link sent to it)."""
    if not isinstance(profile, dict):
        raise ApplicationError(_("The body must be a Profile (a JSON object)."))
    types = profile.get("type")
    types = types if isinstance(types, list) else [types]
    if "Profile" not in types:
        raise ApplicationError(
            _("The body is not a Profile: its type must include Profile."),
            field_errors={"type": [_("Must include Profile.")]},
        )
    if profile.get("id") != person_profile_id(user):
        raise ApplicationError(
            _("The Profile's id is not yours (%(id)s).") % {"id": person_profile_id(user)},
            field_errors={"id": [_("Must be %(id)s.") % {"id": person_profile_id(user)}]},
        )
    email = profile.get("email")
    if email is not None and str(email).strip().lower() != user.email.lower():
        raise ApplicationError(
            _("The email address cannot be changed here: it is how you sign in."),
            field_errors={"email": [_("Must be %(email)s.") % {"email": user.email}]},
        )
    given, family = profile.get("givenName"), profile.get("familyName")
    if given is None and family is None and isinstance(profile.get("name"), str):
        given, _sep, family = profile["name"].strip().partition(" ")
    changed = []
    for field, value in (("first_name", given), ("last_name", family)):
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 150:
            raise ApplicationError(
                _("%(field)s must be text of at most 150 characters.") % {"field": field},
                field_errors={field: [_("At most 150 characters.")]},
            )
        setattr(user, field, value.strip())
        changed.append(field)
    if changed:
        user.save(update_fields=changed)
