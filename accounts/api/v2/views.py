from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.v2.serializers import (
    AccessTokenSerializer,
    ForgotPasswordResetSerializer,
    ForgotPasswordSerializer,
    UserSelfSerializer,
)
from accounts.services import password_reset_confirm, password_reset_request, user_update_profile
from accounts.tokens import access_token_revoke, token_for_user, tokens_for_user
from core.api.badgr import BadgrAPIView, BadgrErrorSerializer
from core.exceptions import ApplicationError, NotFoundError
from core.throttle import client_address


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


EMPTY_RESULT = inline_serializer("ForgotPasswordResult", fields={})


def _error(description: str):
    return OpenApiResponse(BadgrErrorSerializer, description=description)


class ForgotPasswordView(BadgrAPIView):
    """Badgr's account recovery over the API, on the services of the account pages: the
    same email, link, rate limit and password rules (docs/api-v2.md)."""

    authentication_classes = []  # nobody is signed in who forgot their password
    permission_classes = [AllowAny]

    def handle_exception(self, exc):
        # Nothing here is an entity someone may not see: a bad link says what is wrong.
        return APIView.handle_exception(self, exc)

    @extend_schema(
        request=ForgotPasswordSerializer,
        responses={
            200: EMPTY_RESULT,
            400: _error("Not an email address."),
            429: _error(
                "Too many requests for this address or from this client: see "
                "`Retry-After`. Counted whether or not the address has an account."
            ),
        },
        summary="Request an account recovery email",
        description="Emails a link to choose a new password to the account with this "
        "address. The answer is the same whether or not the address has an account.",
        tags=["Authentication"],
    )
    def post(self, request):
        serializer = ForgotPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(
            email=serializer.validated_data["email"],
            client=client_address(request),
            language=translation.get_language(),
        )
        return Response({})

    @extend_schema(
        request=ForgotPasswordResetSerializer,
        responses={
            200: EMPTY_RESULT,
            400: _error("A password the password rules refuse: `fieldErrors.password`."),
            404: _error("The token is not (or no longer) good: used, expired or made up."),
        },
        summary="Recover an account and set a new password",
        description="`token` comes from the recovery email's link; it works once.",
        tags=["Authentication"],
    )
    def put(self, request):
        serializer = ForgotPasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uidb64, token = serializer.validated_data["token"]
        password = serializer.validated_data["password"]
        try:
            password_reset_confirm(
                uidb64=uidb64, token=token, new_password1=password, new_password2=password
            )
        except NotFoundError:
            raise
        except ApplicationError as exc:
            # The page's form has two password fields; this request has one.
            problems = [p for errors in exc.field_errors.values() for p in errors]
            exc.field_errors = {"password": list(dict.fromkeys(problems))}
            raise
        return Response({})
