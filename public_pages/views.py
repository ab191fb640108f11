"""Public pages and Open Badges 2.0 documents: no login, anyone can verify.

Each URL answers people with an HTML page and machines with JSON-LD: a browser (its
Accept names text/html first) gets the page; `Accept: application/ld+json` or
`application/json`, `*/*` or none, a `.json` suffix, or `?v=2_0` get JSON-LD. The
assertion's page, document and baked image are cached (assertions.public_cache); a
cache miss costs one query.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assertions import baking, openbadges, public_cache
from assertions.baked import baked_image
from assertions.models import AssertionStatus
from assertions.public_cache import CachedResponse
from assertions.selectors import public_assertion, public_collection, revoked_assertions
from assertions.sharing import badge_page_context
from core.uploads import MEDIA_CSP
from imports.models import LegacyKind
from imports.services import legacy_assertion_for_redirect, legacy_object_for_redirect
from issuers.models import Issuer
from templates_app.selectors import public_badge_version

logger = logging.getLogger(__name__)
# How long browsers and proxies may keep an answer without asking again (then they
# revalidate by ETag). Short for assertions: a revocation must reach verifiers soon.
HTTP_MAX_AGE = 60
DOCUMENT_MAX_AGE = 300
JSON_TYPES = ("application/ld+json", "application/json")
HTML_TYPES = ("text/html", "application/xhtml+xml")
# What a visitor's browser may do with a baked SVG opened on its own: draw it, nothing else.


def json_type(request, suffix: str | None) -> str | None:
    """The JSON media type to answer with, or None for the HTML page."""
    if suffix or request.GET.get("v") == "2_0":
        # JSON whatever the Accept header says; JSON-LD's own type only when asked for.
        preferred = request.get_preferred_type(["application/json", "application/ld+json"])
        return preferred or "application/json"
    # A browser names text/html and prefers it: it gets the page. Everything else gets
    # the JSON-LD document, as from Badgr: a verifier naming a JSON type, and curl's or
    # requests' `*/*` or no Accept at all (which would otherwise match HTML first).
    preferred = request.get_preferred_type([*HTML_TYPES, *JSON_TYPES])
    if preferred in HTML_TYPES and _names_html(request):
        return None
    return preferred if preferred in JSON_TYPES else "application/ld+json"


def _names_html(request) -> bool:
    """Whether the Accept header asks for HTML by name (not only through a wildcard)."""
    return any(
        f"{media.main_type}/{media.sub_type}" in HTML_TYPES and media.quality > 0
        for media in request.accepted_types
    )


def _json(doc: dict, status: int = 200) -> HttpResponse:
    response = JsonResponse(doc, status=status, json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"  # verifiers and backpacks in browsers
    return response


def _public(request, response: HttpResponse, max_age: int = HTTP_MAX_AGE) -> HttpResponse:
    """Let browsers and proxies keep an answer briefly, and revalidate it by ETag (304)."""
    if response.status_code in (200, 410):
        patch_cache_control(response, public=True, max_age=max_age)
        if not response.has_header("ETag"):  # cached entries carry theirs
            set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)
    return response


def _negotiated(
    request, response: HttpResponse, content_type: str | None, max_age: int = HTTP_MAX_AGE
) -> HttpResponse:
    if content_type:
        response["Content-Type"] = content_type
    response["Vary"] = "Accept"
    return _public(request, response, max_age)


def _viewer_is_earner(request, assertion) -> bool:
    user = request.user
    return user.is_authenticated and assertion.earner.user_id == user.pk


def _legacy_or_404(request, kind: str, entity_id: str, suffix: str | None):
    """An id that is not ours may be an old platform's, imported here (imports app):
    301 to where it lives now, else 404."""
    response = _legacy_redirect(request, kind, entity_id, suffix or "")
    if response is None:
        raise Http404("No such badge.")
    return response


# --- assertion -------------------------------------------------------------------------


@require_GET
def assertion_page(request, entity_id: str, suffix: str | None = None):
    content_type = json_type(request, suffix)
    # The page is in the visitor's language (LocaleMiddleware: the browser's), so each
    # language is cached apart; the document is the same for everyone.
    variant = "json" if content_type else f"html:{translation.get_language()}"
    token, cached = public_cache.lookup(entity_id, variant)
    if cached is not None and not (cached.private and request.user.is_authenticated):
        return _negotiated(request, cached.response(), content_type)

    assertion = public_assertion(entity_id)
    if assertion is None:
        return _legacy_or_404(request, "assertions", entity_id, suffix)
    if assertion.is_hidden:
        if _viewer_is_earner(request, assertion) and not content_type:
            response = _render_assertion(request, assertion, owner_view=True)
            patch_cache_control(response, private=True, no_store=True)
            return response
        public_cache.store(
            entity_id, token, variant, CachedResponse(404, "text/plain", b"", private=True)
        )
        raise Http404("No such badge.")

    if content_type:
        if assertion.status == AssertionStatus.REVOKED:
            response = _json(openbadges.revoked_assertion_document(assertion), status=410)
        else:
            response = _json(openbadges.assertion_document(assertion))
    else:
        response = _render_assertion(request, assertion)
    public_cache.store(
        entity_id, token, variant, CachedResponse.of(response), expires_at=assertion.expires_at
    )
    return _negotiated(request, response, content_type)


def _render_assertion(request, assertion, *, owner_view: bool = False) -> HttpResponse:
    context = badge_page_context(assertion, now=timezone.now())
    context["owner_view"] = owner_view
    return render(request, "public_pages/assertion.html", context)


@require_GET
def assertion_image(request, entity_id: str):
    """The badge image with this assertion baked in (PNG, or SVG for SVG badges)."""
    token, cached = public_cache.lookup(entity_id, "image")
    owner = False
    if cached is None or (cached.private and request.user.is_authenticated):
        assertion = public_assertion(entity_id)
        if assertion is None:
            return _legacy_or_404(request, "assertions", entity_id, "/image")
        owner = assertion.is_hidden and _viewer_is_earner(request, assertion)
        if assertion.is_hidden and not owner:
            entry = CachedResponse(404, "text/plain", b"", private=True)
        elif assertion.status == AssertionStatus.REVOKED:
            body = b"This badge was revoked; it has no image to share."
            entry = CachedResponse(410, "text/plain; charset=utf-8", body)
        else:
            try:
                entry = _baked_entry(assertion)
            except (OSError, baking.BakingError):  # the stored file is gone or damaged
                logger.exception("No bakeable image for badge %s", entity_id)
                raise Http404("This badge's image is missing.") from None
        if not owner:  # what only the earner may see is never cached
            public_cache.store(entity_id, token, "image", entry, expires_at=assertion.expires_at)
        cached = entry
    if cached.status == 404:
        raise Http404("No such badge.")
    response = cached.response()
    response["Access-Control-Allow-Origin"] = "*"
    if cached.status == 200 and request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{cached.filename}"'
    if owner:
        patch_cache_control(response, private=True, no_store=True)
        return response
    return _public(request, response)


def _baked_entry(assertion) -> CachedResponse:
    baked, content_type, filename = baked_image(assertion)
    headers = {"X-Content-Type-Options": "nosniff"}
    if content_type == "image/svg+xml":
        headers["Content-Security-Policy"] = MEDIA_CSP
    return CachedResponse(200, content_type, baked, headers, filename=filename)


# --- badge class and issuer -----------------------------------------------------------


@require_GET
def badgeclass_page(request, entity_id: str, number: int | None = None, suffix=None):
    version = public_badge_version(entity_id, None if number is None else int(number))
    if version is None:
        if number is None:
            return _legacy_or_404(request, "badges", entity_id, suffix)
        raise Http404("No such badge.")
    content_type = json_type(request, suffix)
    if content_type:
        response = _json(openbadges.badgeclass_document(version, versioned=number is not None))
    else:
        response = render(
            request,
            "public_pages/badgeclass.html",
            {
                "version": version,
                "template": version.template,
                "issuer": version.template.issuer,
                "image_urls": openbadges.badge_image_urls(version),
                "badgeclass_url": openbadges.badgeclass_url(
                    version.template, version if number is not None else None
                ),
                "issuer_url": openbadges.issuer_url(version.template.issuer),
                "is_current": version.template.current_version_id == version.pk,
                "current_url": openbadges.badgeclass_url(version.template),
            },
        )
    return _negotiated(request, response, content_type, max_age=DOCUMENT_MAX_AGE)


def _issuer_or_404(entity_id: str) -> Issuer:
    issuer = Issuer.objects.filter(entity_id=entity_id).first()
    if issuer is None:
        raise Http404("No such issuer.")
    return issuer


@require_GET
def issuer_page(request, entity_id: str, suffix=None):
    issuer = Issuer.objects.filter(entity_id=entity_id).first()
    if issuer is None:
        return _legacy_or_404(request, "issuers", entity_id, suffix)
    content_type = json_type(request, suffix)
    if content_type:
        response = _json(openbadges.issuer_document(issuer))
    else:
        response = render(
            request,
            "public_pages/issuer.html",
            {
                "issuer": issuer,
                "issuer_url": openbadges.issuer_url(issuer),
                "image_url": openbadges.file_url(issuer.image),
            },
        )
    return _negotiated(request, response, content_type, max_age=DOCUMENT_MAX_AGE)


@require_GET
def revocation_list(request, entity_id: str):
    issuer = _issuer_or_404(entity_id)
    key = public_cache.revocations_key(issuer.pk)
    doc = cache.get(key)
    if doc is None:
        doc = openbadges.revocation_list_document(issuer, revoked_assertions(issuer))
        cache.set(key, doc, settings.PUBLIC_CACHE_SECONDS)
    return _public(request, _json(doc))


# --- legacy public URLs -------------------------------------------------------------------


# What Badgr answers under each kind of public URL (apps/issuer/public_api_urls.py there).
LEGACY_SUFFIXES = {
    "assertions": {"", ".json", "/image", "/baked"},
    "badges": {"", ".json", "/image", "/criteria"},
    "issuers": {"", ".json", "/image", "/badges"},
}


def _legacy_redirect(request, kind: str, legacy_id: str, suffix: str = ""):
    """A redirect from an old platform's public URL (kept working once its domain points
    here) to what the badge, badge class or issuer has now, of the same kind of content
    (docs/migration-in.md, "Old public URLs"); None when the id is unknown or the thing
    has no such content."""
    if suffix not in LEGACY_SUFFIXES[kind]:
        return None
    if kind == "assertions":
        target = legacy_assertion_for_redirect(legacy_id)
    elif kind == "badges":
        target = legacy_object_for_redirect(LegacyKind.BADGECLASS, legacy_id)
    else:
        target = legacy_object_for_redirect(LegacyKind.ISSUER, legacy_id)
    if target is None:
        return None
    if suffix == "/image" and kind != "assertions":
        # A file whose address changes with a new image: found again on every visit.
        url = _legacy_image_url(request, kind, target)
        return HttpResponseRedirect(url) if url else None
    if suffix == "/criteria":
        version = target.current_version
        if version.criteria_url and not version.criteria_narrative:
            return HttpResponseRedirect(version.criteria_url)  # the criteria live there
        url = reverse("public:badgeclass", kwargs={"entity_id": target.entity_id})
        return HttpResponsePermanentRedirect(_with_query(request, url) + "#criteria")
    if kind == "assertions" and suffix in ("/image", "/baked"):
        name = "public:assertion-image"  # Badgr's assertion image is its baked image
    else:
        # The page (or its JSON); an issuer's badge list is its page, which lists them.
        name = {
            "assertions": "public:assertion",
            "badges": "public:badgeclass",
            "issuers": "public:issuer",
        }[kind]
    url = reverse(name, kwargs={"entity_id": target.entity_id})
    if suffix == ".json":
        url += ".json"
    return HttpResponsePermanentRedirect(_with_query(request, url))


def _with_query(request, url: str) -> str:
    query = request.META.get("QUERY_STRING")
    return f"{url}?{query}" if query else url


def _legacy_image_url(request, kind: str, target) -> str | None:
    """The image a Badgr image URL names: the original, or a PNG where Badgr's
    `?type=png` or `&fmt=wide` asked for one (link previews that cannot show SVG)."""
    if kind == "issuers":
        return openbadges.file_url(target.image)
    version = target.current_version
    if request.GET.get("type") == "png" or request.GET.get("fmt"):
        return openbadges.png_image_url(version) or openbadges.file_url(version.image)
    return openbadges.file_url(version.image)


@require_GET
def legacy_public(request, kind: str, legacy_id: str, suffix: str = ""):
    """/public/<kind>/<legacy id>[.json|/image|/baked|/criteria|/badges] that no current
    page matched (the last route of badges_project/urls.py)."""
    return _legacy_or_404(request, kind, legacy_id, suffix)


# --- an earner's published collection --------------------------------------------------------


@require_GET
def collection_page(request, entity_id: str):
    """A collection its earner published: each badge links to its own page, where it
    is verified (status, revocation, expiry). Unpublished or unknown: 404."""
    found = public_collection(entity_id)
    if found is None:
        raise Http404(_("No such collection."))
    collection, badges = found
    now = timezone.now()
    response = render(
        request,
        "public_pages/collection.html",
        {
            "collection": collection,
            "cards": [badge_page_context(badge, now=now) for badge in badges],
        },
    )
    patch_cache_control(response, no_cache=True)  # unpublishing takes effect at once
    return response
