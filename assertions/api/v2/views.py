from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assertions import services
from assertions.api.v2.serializers import (
    AcceptanceSerializer,
    AssertionSerializer,
    AssertionUpdateSerializer,
    BackpackImportSerializer,
    BatchIssueSerializer,
    CollectionSerializer,
    RecipientFilterSerializer,
    RevokeItemSerializer,
    RevokeReasonSerializer,
    RevokeResultSerializer,
    assertion_v2,
    imported_v2,
    list_values,
    recipient_name,
)
from assertions.models import Acceptance
from assertions.selectors import (
    assertion_for_user,
    backpack_assertion,
    backpack_for_user,
    badges_of_issuer,
    badges_of_template,
    collection_for_user,
    collections_for_user,
    filter_listed,
    imported_badge_for_user,
    imported_for_user,
)
from core.api.badgr import IDEMPOTENCY, BadgrAPIView, idempotency_key
from core.api.cursor_pagination import ordered_beyond, paginate, queryset_pages
from core.exceptions import ApplicationError
from core.idempotency import idempotent
from core.queries import unique_or_none, values_compiled
from issuers.selectors import issuer_for_user
from templates_app.selectors import template_for_user, templates_for_user

LIST_PARAMETERS = [
    OpenApiParameter("recipient", str, description="Only badges of this recipient email"),
    OpenApiParameter("num", int, description="Page size; turns on cursor pagination"),
    OpenApiParameter("after", str, description="Cursor from the Link header (next page)"),
    OpenApiParameter("before", str, description="Cursor from the Link header (previous page)"),
    OpenApiParameter("include_expired", bool, description="Include expired badges (default false)"),
    OpenApiParameter("include_revoked", bool, description="Include revoked badges (default false)"),
]


def _flag(request, name: str) -> bool:
    return str(request.query_params.get(name, "")).lower() in ("1", "true", "yes", "on")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _listed(request) -> dict:
    """The list filters a request asks for (`filter_listed`'s arguments)."""
    return {
        **_valid(RecipientFilterSerializer, request.query_params),
        "include_expired": _flag(request, "include_expired"),
        "include_revoked": _flag(request, "include_revoked"),
    }


def _list(request, fetch):
    """A `/v2` list of badges: `fetch` reads its rows (`list_values`) for `paginate`."""
    items, link = paginate(fetch, request)
    headers = {"Link": link} if link else {}
    site = settings.SITE_URL
    return Response([assertion_v2(row, site) for row in items], headers=headers)


def _list_of(request, queryset, listed: dict):
    """`_list` of a queryset of badges, filtered as `listed` (`_listed`) says."""
    return _list(request, queryset_pages(list_values(filter_listed(queryset, **listed))))


# The badges a `/v2` list is of, its caller having checked that the user may read them.
BADGES_OF = {"template": badges_of_template, "issuer": badges_of_issuer}


def _page(owner_pk, now, recipient, beyond, *, of, include_expired, include_revoked, newest_first):
    """A page of a template's or an issuer's badges (`of`) as `paginate` reads it
    (`values_compiled` builds it once per shape: building and compiling it was half of
    the list's own time)."""
    queryset = filter_listed(
        BADGES_OF[of](owner_pk),
        recipient=recipient,
        include_expired=include_expired,
        include_revoked=include_revoked,
        now=now,
    )
    return ordered_beyond(list_values(queryset), newest_first, beyond)


def _compiled_list(request, of: str, owner):
    """`_list` of the badges of `owner`, a template or an issuer (`of`)."""
    listed, now = _listed(request), timezone.now()
    recipient = listed.pop("recipient")

    def fetch(newest_first, beyond, limit):
        shape = {**listed, "of": of, "newest_first": newest_first}
        return values_compiled(_page, owner.pk, now, recipient, beyond, shape=shape, limit=limit)

    return _list(request, fetch)


def _template_from_body(request, issuer, data):
    templates = templates_for_user(request.user).filter(issuer=issuer)
    if data.get("badge_template"):
        template = unique_or_none(templates.filter(entity_id=data["badge_template"]["entity_id"]))
    elif data.get("badgeclassOpenBadgeId"):
        entity_id = data["badgeclassOpenBadgeId"].rstrip("/").rsplit("/", 1)[-1]
        template = unique_or_none(templates.filter(entity_id=entity_id))
    elif data.get("badgeclassName"):
        matches = list(templates.filter(name__iexact=data["badgeclassName"])[:2])
        if len(matches) > 1:
            raise ApplicationError(
                gettext("More than one badge class has that name; give its entityId."),
                field_errors={"badgeclassName": [gettext("Ambiguous name.")]},
            )
        template = matches[0] if matches else None
    else:
        raise ApplicationError(
            gettext("Say which badge class to award."),
            field_errors={"badgeclass": [gettext("Give badgeclass or badgeclassOpenBadgeId.")]},
        )
    if template is None:
        raise ApplicationError(
            gettext("No such badge class in this issuer."),
            field_errors={"badgeclass": [gettext("No badge class of this issuer has that id.")]},
        )
    return template


def _award_arguments(data: dict, language: str = "") -> dict:
    """A validated AssertionSerializer's recipient and badge, as the award services take
    them; `language` is the earner's when the item gives none (a batch's)."""
    extensions = data.get("extensions") or {}
    first, last = recipient_name(extensions)
    return {
        "recipient_email": data["identity"],
        "recipient_first_name": first,
        "recipient_last_name": last,
        "recipient_language": data.get("language") or language,
        "issued_on": data.get("emitted_at"),
        "expires_at": data.get("expires_at", services.TEMPLATE_DEFAULT),
        "narrative": data.get("narrative") or "",
        "evidence": data.get("evidence") or [],
        "additional_details": {"extensions": extensions} if extensions else None,
    }


def _award(request, template=None, issuer=None):
    serializer = AssertionSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if template is None:
        template = _template_from_body(request, issuer, data)
    result = services.assertion_issue(
        template=template,
        actor=request.user,
        **_award_arguments(data),
        allow_duplicate=data["allowDuplicateAwards"],
        notify=data["notify"],
        idempotency_key=idempotency_key(request),
    )
    headers = {} if result.created else {"Idempotent-Replayed": "true"}
    return Response(
        AssertionSerializer(result.assertion).data, status=status.HTTP_201_CREATED, headers=headers
    )


def _import(request):
    serializer = BackpackImportSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    imported = services.imported_badge_add(
        user=request.user,
        url=data.get("url") or "",
        image_data_uri=data.get("image") or "",
        assertion=data.get("assertion"),
    )
    return Response(imported_v2(imported), status=status.HTTP_201_CREATED)


IMPORT_SCHEMA = {
    "request": BackpackImportSerializer,
    "responses": {201: AssertionSerializer},
    "description": "The badge is fetched from where it is hosted (through the guarded "
    "outbound client) and verified: an Open Badges 2.0 hosted assertion, not revoked, "
    "awarded to your email. A baked image or a posted assertion only says where it is. "
    "Signed badges cannot be imported yet. Already in your backpack: 409.",
}


class IssuerAssertionListView(BadgrAPIView):
    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=AssertionSerializer(many=True),
        summary="Badges awarded by an issuer",
    )
    def get(self, request, entity_id):
        issuer = issuer_for_user(request.user, entity_id)
        return _compiled_list(request, "issuer", issuer)

    @extend_schema(
        request=AssertionSerializer,
        responses={201: AssertionSerializer},
        parameters=[IDEMPOTENCY],
        summary="Award a badge class of this issuer",
    )
    @idempotent
    def post(self, request, entity_id):
        return _award(request, issuer=issuer_for_user(request.user, entity_id))


class BadgeClassAssertionListView(BadgrAPIView):
    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=AssertionSerializer(many=True),
        summary="Badges awarded of a badge class",
    )
    def get(self, request, entity_id):
        return _compiled_list(request, "template", template_for_user(request.user, entity_id))

    @extend_schema(
        request=AssertionSerializer,
        responses={201: AssertionSerializer},
        parameters=[IDEMPOTENCY],
        summary="Award this badge class",
    )
    @idempotent
    def post(self, request, entity_id):
        return _award(request, template=template_for_user(request.user, entity_id))


class BadgeClassIssueView(BadgrAPIView):
    @extend_schema(
        request=BatchIssueSerializer,
        responses={201: AssertionSerializer(many=True)},
        parameters=[IDEMPOTENCY],
        summary="Award this badge class to several recipients at once",
        description="All or none: when any item is refused nothing is issued, and "
        "`fieldErrors.assertions` lists each item's problems (`{}` for an item that was "
        f"fine). At most {services.MAX_ISSUE} items. Badgr's bare list of assertions is "
        "accepted too.",
    )
    @idempotent
    def post(self, request, entity_id):
        template = template_for_user(request.user, entity_id)
        body = request.data
        if isinstance(body, list):  # Badgr's published description: the list itself
            body = {"assertions": body}
        serializer = BatchIssueSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = data["assertions"]
        results = services.assertions_issue(
            template=template,
            actor=request.user,
            awards=[_award_arguments(item, data.get("language", "")) for item in items],
            notify=data.get("create_notification", data.get("notify", False)),
            allow_duplicate=data.get("allowDuplicateAwards", True)
            and all(item["allowDuplicateAwards"] for item in items),
            idempotency_key=idempotency_key(request),
        )
        headers = {} if any(r.created for r in results) else {"Idempotent-Replayed": "true"}
        return Response(
            [AssertionSerializer(result.assertion).data for result in results],
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


class AssertionDetailView(BadgrAPIView):
    @extend_schema(responses=AssertionSerializer, summary="Get an awarded badge")
    def get(self, request, entity_id):
        return Response(AssertionSerializer(assertion_for_user(request.user, entity_id)).data)

    @extend_schema(
        request=AssertionUpdateSerializer,
        responses=AssertionSerializer,
        summary="Correct an awarded badge (narrative, dates, evidence)",
    )
    def put(self, request, entity_id):
        assertion = assertion_for_user(request.user, entity_id)
        serializer = AssertionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "narrative" in changes:
            changes["narrative"] = changes["narrative"] or ""
        if "evidence" in changes:
            changes["evidence"] = changes["evidence"] or []
        if "extensions" in changes:
            extensions = changes.pop("extensions") or {}
            changes["additional_details"] = {
                **assertion.additional_details,
                "extensions": extensions,
            }
            first, last = recipient_name(extensions)
            if first:
                changes["recipient_first_name"], changes["recipient_last_name"] = first, last
        services.assertion_update(assertion=assertion, actor=request.user, **changes)
        return Response(AssertionSerializer(assertion_for_user(request.user, entity_id)).data)

    @extend_schema(
        parameters=[OpenApiParameter("revocation_reason", str, description="Why (optional)")],
        request={
            "application/json": {
                "type": "object",
                "properties": {"revocation_reason": {"type": "string"}},
            }
        },
        responses={200: None},
        summary="Revoke an awarded badge",
    )
    def delete(self, request, entity_id):
        assertion = assertion_for_user(request.user, entity_id)
        body = request.data if isinstance(request.data, dict) else {}
        given = body if body.get("revocation_reason") else request.query_params
        reason = _valid(RevokeReasonSerializer, given)["revocation_reason"]
        services.assertion_revoke(assertion=assertion, actor=request.user, reason=reason)
        return Response([])


class AssertionBulkRevokeView(BadgrAPIView):
    @extend_schema(
        # JSON only: the body is a list, which no form encoding can carry.
        request={"application/json": RevokeItemSerializer(many=True)},
        responses=RevokeResultSerializer(many=True),
        summary="Revoke several badges, each with a reason",
        parameters=[IDEMPOTENCY],
    )
    @idempotent
    def post(self, request):
        if not isinstance(request.data, list):
            raise ValidationError([gettext("Send a list of {entityId, revocationReason} objects.")])
        serializer = RevokeItemSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        items = [
            (item.get("entityId") or item.get("id") or "", item.get("revocationReason", ""))
            for item in serializer.validated_data
        ]
        outcomes = services.assertions_revoke_many(items=items, actor=request.user)
        result = []
        for outcome in outcomes:
            entry = {"entityId": outcome.entity_id, "revoked": outcome.revoked}
            if not outcome.revoked:
                entry.update(reason=outcome.reason, code=outcome.code)
            result.append(entry)
        return Response(result)


class BackpackAssertionListView(BadgrAPIView):
    oauth_scope = "backpack"

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=AssertionSerializer(many=True),
        summary="Your own badges",
        description="Those issued here, and (without `num`) those you added from other "
        "platforms, newest first.",
    )
    def get(self, request):
        listed = _listed(request)
        response = _list_of(request, backpack_for_user(request.user), listed)
        if "num" in request.query_params:
            return response  # cursor pages: the badges issued here only (docs/api-v2.md)
        imported = imported_for_user(
            request.user,
            recipient=listed["recipient"],
            include_expired=listed["include_expired"],
        )
        if not imported:
            return response
        items = response.data + [imported_v2(badge) for badge in imported]
        items.sort(key=lambda item: item["issuedOn"] or "", reverse=True)
        return Response(items)

    @extend_schema(**IMPORT_SCHEMA, summary="Add a badge from another platform (as import)")
    def post(self, request):
        return _import(request)


class BackpackImportView(BadgrAPIView):
    oauth_scope = "backpack"

    @extend_schema(**IMPORT_SCHEMA, summary="Add a badge from another platform")
    def post(self, request):
        return _import(request)


class BackpackAssertionDetailView(BadgrAPIView):
    """One of your own badges: read it, accept or reject it, remove it from the backpack
    (which rejects it: the issuer's record stays, hidden from the public and from you).
    A badge added from another platform is read and removed (deleted) the same way."""

    oauth_scope = "backpack"

    @extend_schema(responses=AssertionSerializer, summary="One of your own badges")
    def get(self, request, entity_id):
        imported = imported_badge_for_user(request.user, entity_id)
        if imported is not None:
            return Response(imported_v2(imported))
        return Response(AssertionSerializer(backpack_assertion(request.user, entity_id)).data)

    @extend_schema(
        request=AcceptanceSerializer,
        responses=AssertionSerializer,
        summary="Accept or reject one of your badges",
    )
    def put(self, request, entity_id):
        assertion = backpack_assertion(request.user, entity_id)
        serializer = AcceptanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.assertion_set_acceptance(
            assertion=assertion,
            actor=request.user,
            acceptance=serializer.validated_data["acceptance"],
        )
        return Response(AssertionSerializer(backpack_assertion(request.user, entity_id)).data)

    @extend_schema(request=None, responses={200: None}, summary="Remove a badge from your backpack")
    def delete(self, request, entity_id):
        imported = imported_badge_for_user(request.user, entity_id)
        if imported is not None:
            services.imported_badge_remove(imported=imported, actor=request.user)
            return Response([])
        assertion = backpack_assertion(request.user, entity_id)
        services.assertion_set_acceptance(
            assertion=assertion, actor=request.user, acceptance=Acceptance.REJECTED
        )
        return Response([])


def _collection_fields(request, partial: bool) -> dict:
    serializer = CollectionSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class CollectionListView(BadgrAPIView):
    oauth_scope = "backpack"

    @extend_schema(responses=CollectionSerializer(many=True), summary="Your collections")
    def get(self, request):
        collections = collections_for_user(request.user).select_related("user")
        return Response([CollectionSerializer(c).data for c in collections])

    @extend_schema(
        request=CollectionSerializer,
        responses={201: CollectionSerializer},
        parameters=[IDEMPOTENCY],
        summary="Make a collection of your badges",
    )
    @idempotent
    def post(self, request):
        fields = _collection_fields(request, partial=False)
        collection = services.collection_create(actor=request.user, **fields)
        collection = collection_for_user(request.user, collection.entity_id)
        return Response(CollectionSerializer(collection).data, status=status.HTTP_201_CREATED)


class CollectionDetailView(BadgrAPIView):
    oauth_scope = "backpack"

    @extend_schema(responses=CollectionSerializer, summary="One of your collections")
    def get(self, request, entity_id):
        return Response(CollectionSerializer(collection_for_user(request.user, entity_id)).data)

    @extend_schema(
        request=CollectionSerializer,
        responses=CollectionSerializer,
        summary="Change a collection (what is sent; `assertions` replaces its badges)",
    )
    def put(self, request, entity_id):
        collection = collection_for_user(request.user, entity_id)
        services.collection_update(
            collection=collection, actor=request.user, **_collection_fields(request, partial=True)
        )
        return Response(CollectionSerializer(collection_for_user(request.user, entity_id)).data)

    @extend_schema(request=None, responses={200: None}, summary="Delete a collection")
    def delete(self, request, entity_id):
        services.collection_delete(
            collection=collection_for_user(request.user, entity_id), actor=request.user
        )
        return Response([])
