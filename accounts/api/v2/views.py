from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from accounts.api.v2.serializers import AccessTokenSerializer, UserSelfSerializer
from accounts.services import user_update_profile
from accounts.tokens import access_token_revoke, token_for_user, tokens_for_user
from core.api.badgr import BadgrAPIView, BadgrErrorSerializer
from core.exceptions import NotFoundError


def _own_user(request, entity_id: str):
    """`self`, or the caller's own entityId; anyone else's profile does not exist for them
    (Badgr's object permission; nobody reads another person's profile here)."""
    if entity_id in ("self", request.user.entity_id):
        return request.user
    raise NotFoundError(_("No such user."))


class UserDetailView(BadgrAPIView):
    oauth_scope = "profile"

    @extend_schema(responses=UserSelfSerializer, summary="A user profile: `self` is you")
    def get(self, request, entity_id):
        return Response(UserSelfSerializer(_own_user(request, entity_id)).data)

    @extend_schema(
        request=UserSelfSerializer,
        responses=UserSelfSerializer,
        summary="Update your name (`self` or your own entityId)",
    )
    def put(self, request, entity_id):
        user = _own_user(request, entity_id)
        serializer = UserSelfSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update_profile(user=user, **serializer.validated_data)
        return Response(UserSelfSerializer(user).data)

    @extend_schema(
        request=None,
        responses={404: OpenApiResponse(BadgrErrorSerializer, description="Always.")},
        summary="Make an account: not over /v2",
        description="Badgr's v2 answers 404 here too (its sign-up is v1 only); here, as "
        "everywhere in /v2, a missing token is 401 first. Accounts are made by the site's "
        "sign-up page or when a badge is awarded to an address.",
    )
    def post(self, request, entity_id):
        raise NotFoundError(
            _("Accounts are not made over /v2: sign up on the site, or get a badge awarded.")
        )


class AccessTokenListView(BadgrAPIView):
    """Your own access tokens (Badgr: rw:profile)."""

    oauth_scope = "profile"
    oauth_write_to_read = True

    @extend_schema(responses=AccessTokenSerializer(many=True), summary="Your access tokens")
    def get(self, request):
        return Response(AccessTokenSerializer(tokens_for_user(request.user), many=True).data)


class AccessTokenDetailView(BadgrAPIView):
    oauth_scope = "profile"
    oauth_write_to_read = True

    @extend_schema(responses=AccessTokenSerializer, summary="One of your access tokens")
    def get(self, request, entity_id):
        return Response(AccessTokenSerializer(token_for_user(request.user, entity_id)).data)

    @extend_schema(request=None, responses={200: None}, summary="Revoke one of your tokens")
    def delete(self, request, entity_id):
        access_token_revoke(token=token_for_user(request.user, entity_id), actor=request.user)
        return Response([])
