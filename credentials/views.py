"""Open Badges 3.0 endpoints. Thin: documents and signing live in credentials.services
and credentials.documents, checks in credentials.verify."""

import json
import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from assertions import baking, public_cache
from assertions.models import AssertionStatus
from assertions.public_cache import CachedResponse
from assertions.selectors import public_assertion
from core.uploads import MEDIA_CSP
from credentials import data_integrity, documents, services, verify
from credentials.forms import VerifyForm
from credentials.signing import MEDIA_TYPE
from issuers.models import Issuer

logger = logging.getLogger(__name__)

# As for the OB 2.0 documents: a revocation must reach verifiers within a minute.
HTTP_MAX_AGE = 60
KEY_MAX_AGE = 300
JSON_TYPES = ("application/json", "application/ld+json")


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"  # wallets and verifiers in browsers
    return response


def _public(request, response: HttpResponse, max_age: int) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=max_age)
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def _json(doc: dict, status: int = 200) -> HttpResponse:
    return _cors(JsonResponse(doc, status=status, json_dumps_params={"indent": 2}))


def _issuer_or_404(entity_id: str) -> Issuer:
    issuer = Issuer.objects.filter(entity_id=entity_id).first()
    if issuer is None:
        raise Http404("No such issuer.")
    return issuer


def _wants_jwt(request, *, default_jwt: bool) -> bool:
    """`?format=jwt|json` first (`ldp`: the Data Integrity form), then Accept. Credentials
    answer JSON unless the JWT is asked for; status lists answer the JWT unless JSON is
    (verifiers fetch them)."""
    fmt = request.GET.get("format")
    if fmt in ("jwt", "json"):
        return fmt == "jwt"
    choices = [MEDIA_TYPE, *JSON_TYPES] if default_jwt else [*JSON_TYPES, MEDIA_TYPE]
    return request.get_preferred_type(choices) == MEDIA_TYPE


def _token_response(request, token: str, *, default_jwt: bool, filename: str = ""):
    if _wants_jwt(request, default_jwt=default_jwt):
        response = _cors(HttpResponse(token, content_type=MEDIA_TYPE))
        extension = "jwt"
    else:
        response = _json(documents.enveloped(token))
        extension = "json"
    response["Vary"] = "Accept"
    if filename and request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


# --- issuer keys and status -----------------------------------------------------------------


@require_GET
def did_document(request, entity_id: str):
    """The issuer's did:web document: every key it signed with, retired ones included."""
    issuer = _issuer_or_404(entity_id)
    services.issuer_key_create(issuer=issuer)  # issuers older than OB 3.0 get theirs now
    doc = documents.did_document(issuer, services.issuer_keys(issuer))
    return _public(request, _json(doc), KEY_MAX_AGE)


@require_GET
def jwks(request, entity_id: str):
    issuer = _issuer_or_404(entity_id)
    services.issuer_key_create(issuer=issuer)
    doc = documents.jwks(issuer, services.issuer_keys(issuer))
    return _public(request, _json(doc), KEY_MAX_AGE)


@require_GET
def status_list(request, entity_id: str, number: str):
    issuer = _issuer_or_404(entity_id)
    token = services.status_list_token(issuer=issuer, number=int(number))
    if token is None:
        raise Http404("No such status list.")
    return _public(request, _token_response(request, token, default_jwt=True), HTTP_MAX_AGE)


# --- a badge's credential -------------------------------------------------------------------


def _badge_entry(request, entity_id: str, variant: str, render, gone: bytes):
    """(cached entry, whether the viewer is the earner of a hidden badge) of one of a
    badge's signed forms: hidden badges (private or rejected) are 404 to everyone but
    their earner, as the public page is; revoked ones 410 with `gone`; otherwise
    `render(assertion)`."""
    token, cached = public_cache.lookup(entity_id, variant)
    if cached is not None and not (cached.private and request.user.is_authenticated):
        return cached, False

    assertion = public_assertion(entity_id)
    if assertion is None:
        raise Http404("No such badge.")
    owner = (
        assertion.is_hidden
        and request.user.is_authenticated
        and assertion.earner.user_id == request.user.pk
    )
    if assertion.is_hidden and not owner:
        entry = CachedResponse(404, "text/plain", b"", private=True)
    elif assertion.status == AssertionStatus.REVOKED:
        entry = CachedResponse(410, "text/plain; charset=utf-8", gone)
    else:
        entry = render(assertion)
    if not owner:
        public_cache.store(entity_id, token, variant, entry, expires_at=assertion.expires_at)
    return entry, owner


def _file_name(assertion) -> str:
    name = slugify(assertion.badge_template_version.name) or "badge"
    return f"{name}-{assertion.entity_id[:8]}"


def _wants_data_integrity(request) -> bool:
    fmt = request.GET.get("format")
    if fmt:
        return fmt == "ldp"
    accept = request.headers.get("Accept", "")
    return (
        data_integrity.MEDIA_TYPE in accept
        and request.get_preferred_type([data_integrity.MEDIA_TYPE, MEDIA_TYPE, *JSON_TYPES])
        == data_integrity.MEDIA_TYPE
    )


@require_GET
def assertion_credential(request, entity_id: str):
    """The badge's signed OpenBadgeCredential: the VC-JWT (as a JWT, or enveloped in
    JSON), or with `?format=ldp` the credential JSON with a Data Integrity proof
    (eddsa-rdfc-2022). Private badges answer 404 to everyone but their earner, as the
    public page does; revoked ones 410."""
    if _wants_data_integrity(request):
        return _credential_ldp(request, entity_id)

    def render(assertion):
        jwt = services.credential_sign(assertion=assertion)
        return CachedResponse(200, MEDIA_TYPE, jwt.encode("ascii"), filename=_file_name(assertion))

    gone = b"This badge was revoked; it has no credential to share."
    entry, owner = _badge_entry(request, entity_id, "credential", render, gone)
    return _credential_response(request, entry, owner=owner)


def _credential_ldp(request, entity_id: str):
    def render(assertion):
        doc = services.credential_data_integrity(assertion=assertion)
        body = json.dumps(doc, indent=2).encode("utf-8")
        name = f"{_file_name(assertion)}.json"
        return CachedResponse(200, data_integrity.MEDIA_TYPE, body, filename=name)

    gone = b"This badge was revoked; it has no credential to share."
    entry, owner = _badge_entry(request, entity_id, "credential-ldp", render, gone)
    return _file_response(request, entry, owner=owner, vary_accept=True)


def _file_response(request, entry: CachedResponse, *, owner: bool, vary_accept: bool = False):
    """A cached signed file of a badge as a response: 404 / 410 as the entry says,
    `?download=1` an attachment, the earner's own private badge never shared-cached."""
    if entry.status == 404:
        raise Http404("No such badge.")
    response = _cors(entry.response())
    if vary_accept:
        response["Vary"] = "Accept"
    if entry.status != 200:
        return response
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{entry.filename}"'
    if owner:
        patch_cache_control(response, private=True, no_store=True)
        return response
    return _public(request, response, HTTP_MAX_AGE)


@require_GET
def assertion_credential_image(request, entity_id: str):
    """The badge image with its Open Badges 3.0 credential (the VC-JWT) baked in: PNG
    (iTXt `openbadgecredential`) or SVG (`<openbadges:credential>`), as its template's
    image is. The OB 2.0 baked image stays at /public/assertions/<id>/image."""

    def render(assertion):
        jwt = services.credential_sign(assertion=assertion)
        try:
            image, is_svg = baking.bakeable_image(assertion.badge_template_version)
            baked = baking.bake_credential(image, jwt)
        except (OSError, baking.BakingError):  # the stored file is gone or damaged
            logger.exception("No bakeable image for badge %s", assertion.entity_id)
            return CachedResponse(404, "text/plain", b"")
        headers = {"X-Content-Type-Options": "nosniff"}
        name = _file_name(assertion)
        if is_svg:
            headers["Content-Security-Policy"] = MEDIA_CSP
            return CachedResponse(200, "image/svg+xml", baked, headers, filename=f"{name}.svg")
        return CachedResponse(200, "image/png", baked, headers, filename=f"{name}.png")

    gone = b"This badge was revoked; it has no image to share."
    entry, owner = _badge_entry(request, entity_id, "credential-image", render, gone)
    return _file_response(request, entry, owner=owner)


def _credential_response(request, entry: CachedResponse, *, owner: bool):
    if entry.status == 404:
        raise Http404("No such badge.")
    if entry.status != 200:
        return _cors(entry.response())
    response = _token_response(
        request, entry.body.decode("ascii"), default_jwt=False, filename=entry.filename
    )
    if owner:  # what only the earner may see is never kept by a shared cache
        patch_cache_control(response, private=True, no_store=True)
        return response
    return _public(request, response, HTTP_MAX_AGE)


@login_required(login_url="login")
@require_GET
def backpack_bundle(request):
    """All of the earner's credentials in one file (an unsigned VerifiablePresentation
    of EnvelopedVerifiableCredentials), for a wallet or an archive."""
    bundle = services.credentials_bundle(user=request.user)
    response = HttpResponse(
        json.dumps(bundle, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-badges-credentials.json"'
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- the verifier ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify_page(request):
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    reports = None
    if form.is_bound and form.is_valid():
        try:
            reports = verify.verify_input(form.payload())
        except verify.InputError as exc:
            form.add_error(None, str(exc))
    response = render(request, "credentials/verify.html", {"form": form, "reports": reports})
    patch_cache_control(response, private=True, no_store=True)
    return response
