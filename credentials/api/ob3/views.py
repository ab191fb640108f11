"""The Open Badges 3.0 API (1EdTech "Open Badges API", `/ims/ob/v3p0/...`): discovery,
dynamic client registration, getCredentials, upsertCredential, getProfile, putProfile.

Thin: the writes are `credentials.host_services`; tokens are django-oauth-toolkit's
(authorization code with PKCE, `/o/authorize/` and `/o/token/`). Every error is an
`Imsx_StatusInfo` (registration errors are RFC 7591's `error` objects), never a 500 page.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.oauth import query_string_refused
from assertions.models import Assertion, AssertionStatus
from core.exceptions import ApplicationError
from credentials import data_integrity, documents, host_services, services
from credentials.models import HeldCredential

API_BASE = "/ims/ob/v3p0"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json", "application/ld+json", data_integrity.MEDIA_TYPE)

# Imsx_StatusInfo codes by HTTP status (1EdTech's imsx_codeMinorFieldValue enumeration).
_MINOR = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "unknownobject",
    405: "not_allowed",
    409: "invalid_data",
    413: "invalid_data",
    415: "invalid_data",
    500: "internal_server_error",
}


def status_info(http_status: int, description: str, minor: str | None = None) -> JsonResponse:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": str(description),
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": minor or _MINOR.get(http_status, "invalid_data"),
                }
            ]
        },
    }
    response = JsonResponse(body, status=http_status)
    if http_status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="ob3"'
    return response


def _error_from(exc: ApplicationError) -> JsonResponse:
    description = exc.message
    if exc.field_errors:
        fields = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.field_errors.items())
        description = f"{description} ({fields})"
    return status_info(exc.status_code, description)


class _Denied(Exception):
    def __init__(self, response):
        self.response = response


def _authorised(request, scope: str):
    """The token's user, when the request carries a valid bearer token with `scope` that
    its client registered; else _Denied with a 401 (no or bad token) or 403 (scope)."""
    try:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    except (SuspiciousOperation, ValueError) as exc:  # what oauthlib cannot read
        raise _Denied(status_info(400, query_string_refused(exc))) from None
    token = getattr(oauth_request, "access_token", None)
    if not valid or token is None or token.user is None:
        raise _Denied(status_info(401, _("A valid bearer access token is required.")))
    granted = set((token.scope or "").split())
    client = getattr(token.application, "ob3_client", None) if token.application else None
    registered = set(client.scope.split()) if client is not None else set(granted)
    if scope not in granted or scope not in registered:
        raise _Denied(
            status_info(403, _("The access token needs the scope %(scope)s.") % {"scope": scope})
        )
    return token.user


def _method_not_allowed(allowed: list[str]) -> HttpResponse:
    response = status_info(405, _("Allowed methods: %(m)s.") % {"m": ", ".join(allowed)})
    response["Allow"] = ", ".join(allowed)
    return response


# --- discovery and registration ---------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def service_description() -> dict:
    """The Service Description Document: an OpenAPI 3.0 document whose OAuth2ACG security
    scheme names the registration, authorization, token and refresh endpoints."""
    operations = {
        "/credentials": {
            "get": {
                "operationId": "getCredentials",
                "security": [{"OAuth2ACG": [host_services.SCOPE_CREDENTIAL_READ]}],
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                ],
                "responses": {"200": {"description": "The credentials, paged."}},
            },
            "post": {
                "operationId": "upsertCredential",
                "security": [{"OAuth2ACG": [host_services.SCOPE_CREDENTIAL_UPSERT]}],
                "responses": {
                    "200": {"description": "Replaced."},
                    "201": {"description": "Created."},
                },
            },
        },
        "/profile": {
            "get": {
                "operationId": "getProfile",
                "security": [{"OAuth2ACG": [host_services.SCOPE_PROFILE_READ]}],
                "responses": {"200": {"description": "The profile."}},
            },
            "put": {
                "operationId": "putProfile",
                "security": [{"OAuth2ACG": [host_services.SCOPE_PROFILE_UPDATE]}],
                "responses": {"200": {"description": "The profile."}},
            },
        },
        "/discovery": {
            "get": {
                "operationId": "getServiceDescription",
                "responses": {"200": {"description": "This document."}},
            }
        },
    }
    token_url = _absolute(reverse("oauth2_provider:token"))
    return {
        "openapi": "3.0.1",
        "info": {
            "title": settings.SITE_NAME if hasattr(settings, "SITE_NAME") else "Open Badges",
            "description": "Open Badges 3.0 API of this site.",
            "version": "3.0",
            "termsOfService": _absolute("/terms/"),
            "x-imssf-privacyPolicyUrl": _absolute("/privacy/"),
        },
        "servers": [{"url": _absolute(API_BASE), "description": "Open Badges 3.0 API"}],
        "tags": [{"name": "OpenBadgeCredentials"}, {"name": "Discovery"}],
        "paths": operations,
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 authorization code grant with PKCE (S256).",
                    "x-imssf-registrationUrl": _absolute(reverse("ob3-register")),
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": _absolute(reverse("oauth2_provider:authorize")),
                            "tokenUrl": token_url,
                            "refreshUrl": token_url,
                            "scopes": dict(host_services.SCOPES),
                        }
                    },
                }
            },
            "schemas": {},
        },
    }


def discovery(request):
    if request.method != "GET":
        return _method_not_allowed(["GET"])
    response = JsonResponse(service_description(), json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _registration_error(code: str, description: str) -> JsonResponse:
    return JsonResponse({"error": code, "error_description": description}, status=400)


@csrf_exempt
def register(request):
    """RFC 7591 dynamic client registration: 201 with the client's id and secret."""
    if request.method != "POST":
        return _method_not_allowed(["POST"])
    if len(request.body) > MAX_BODY_BYTES:
        return _registration_error("invalid_client_metadata", _("The request is too large."))
    try:
        metadata = json.loads(request.body)
    except ValueError:
        return _registration_error(
            "invalid_client_metadata", _("The request body must be JSON (RFC 7591).")
        )
    try:
        client, secret = host_services.client_register(metadata=metadata)
    except host_services.RegistrationError as exc:
        return _registration_error(exc.code, exc.message)
    application = client.application
    body = {
        **client.metadata,
        "client_id": application.client_id,
        "client_secret": secret,
        "client_id_issued_at": int(application.created.timestamp()),
        "client_secret_expires_at": 0,
    }
    response = JsonResponse(body, status=201)
    response["Cache-Control"] = "no-store"
    return response


# --- credentials ------------------------------------------------------------------------


def _query_int(request, name: str, default: int, minimum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ApplicationError(
            _("%(name)s must be an integer of at least %(min)s.") % {"name": name, "min": minimum},
            field_errors={name: [_("An integer of at least %(min)s.") % {"min": minimum}]},
        )
    return int(raw)


def _link(request, limit: int, offset: int, total: int) -> str:
    def url(at: int) -> str:
        params = {k: v for k, v in request.GET.items() if k not in ("limit", "offset")}
        params.update(limit=limit, offset=at)
        return f"<{_absolute(request.path)}?{urlencode(params)}>"

    last = max(0, (total - 1) // limit * limit)
    links = [f'{url(0)}; rel="first"', f'{url(last)}; rel="last"']
    if offset + limit < total:
        links.append(f'{url(offset + limit)}; rel="next"')
    if offset > 0:
        links.append(f'{url(max(0, offset - limit))}; rel="prev"')
    return ", ".join(links)


def _get_credentials(request, user):
    limit = _query_int(request, "limit", DEFAULT_LIMIT, 1)
    limit = min(limit, MAX_LIMIT)
    offset = _query_int(request, "offset", 0, 0)
    since = request.GET.get("since")
    since_at = None
    if since is not None:
        since_at = parse_datetime(since)
        if since_at is None or since_at.tzinfo is None:
            raise ApplicationError(
                _("since must be a date and time with its zone (ISO 8601)."),
                field_errors={"since": [_("ISO 8601 date-time with a zone.")]},
            )
    ours = (
        Assertion.objects.filter(earner__user=user)
        .exclude(status=AssertionStatus.REVOKED)
        .select_related("organization", "earner", "badge_template_version__template")
        .order_by("-emitted_at", "-pk")
    )
    held = HeldCredential.objects.filter(user=user).order_by("-issued_at", "-pk")
    if since_at is not None:
        ours = ours.filter(emitted_at__gt=since_at)
        held = held.filter(Q(issued_at__gt=since_at))
    total_ours, total_held = ours.count(), held.count()
    total = total_ours + total_held
    # One list: this site's badges (newest first), then the credentials pushed here.
    page_ours = list(ours[offset : offset + limit]) if offset < total_ours else []
    held_offset = max(0, offset - total_ours)
    held_limit = limit - len(page_ours)
    page_held = list(held[held_offset : held_offset + held_limit]) if held_limit > 0 else []
    keys: dict = {}
    jws = [services.credential_sign(assertion=a, keys=keys) for a in page_ours]
    body = {"credential": [], "compactJwsString": jws}
    for item in page_held:
        if item.compact_jws:
            body["compactJwsString"].append(item.compact_jws)
        else:
            body["credential"].append(item.document)
    response = JsonResponse(body)
    response["X-Total-Count"] = str(total)
    response["Link"] = _link(request, limit, offset, total)
    return response


def _request_credential(request):
    content_type = request.content_type or ""
    if len(request.body) > MAX_BODY_BYTES:
        raise ApplicationError(_("The credential is larger than 1 MB."))
    if content_type == "text/plain":
        return request.body.decode("utf-8", "replace").strip(), True
    if content_type in JSON_TYPES:
        try:
            return json.loads(request.body), False
        except ValueError:
            raise ApplicationError(_("The body is not valid JSON.")) from None
    raise ApplicationError(
        _(
            "Send a VC-JWT as text/plain, or a credential with a Data Integrity proof as "
            "application/json or application/vc+ld+json."
        )
    )


@csrf_exempt
def credentials(request):
    if request.method not in ("GET", "POST"):
        return _method_not_allowed(["GET", "POST"])
    scope = (
        host_services.SCOPE_CREDENTIAL_READ
        if request.method == "GET"
        else host_services.SCOPE_CREDENTIAL_UPSERT
    )
    try:
        user = _authorised(request, scope)
        if request.method == "GET":
            return _get_credentials(request, user)
        credential, is_jws = _request_credential(request)
        _held, created = host_services.held_credential_upsert(user=user, credential=credential)
    except _Denied as denied:
        return denied.response
    except ApplicationError as exc:
        return _error_from(exc)
    status = 201 if created else 200
    if is_jws:
        return HttpResponse(credential, content_type="text/plain", status=status)
    return JsonResponse(credential, status=status)


# --- profile ----------------------------------------------------------------------------


@csrf_exempt
def profile(request):
    if request.method not in ("GET", "PUT"):
        return _method_not_allowed(["GET", "PUT"])
    scope = (
        host_services.SCOPE_PROFILE_READ
        if request.method == "GET"
        else host_services.SCOPE_PROFILE_UPDATE
    )
    try:
        user = _authorised(request, scope)
        if request.method == "PUT":
            if request.content_type not in JSON_TYPES:
                raise ApplicationError(_("Send the Profile as application/json."))
            try:
                body = json.loads(request.body)
            except ValueError:
                raise ApplicationError(_("The body is not valid JSON.")) from None
            host_services.profile_update(user=user, profile=body)
            user.refresh_from_db()
    except _Denied as denied:
        return denied.response
    except ApplicationError as exc:
        return _error_from(exc)
    return JsonResponse(documents.person_profile(user))
