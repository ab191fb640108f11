from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api.v2.serializers import UserSelfSerializer
from accounts.services import user_update_profile
from core.api.badgr import BadgrAPIView


class UserSelfView(BadgrAPIView):
    oauth_scope = "profile"

    @extend_schema(responses=UserSelfSerializer, summary="Who you are")
    def get(self, request):
        return Response(UserSelfSerializer(request.user).data)

    @extend_schema(
        request=UserSelfSerializer, responses=UserSelfSerializer, summary="Update your name"
    )
    def put(self, request):
        serializer = UserSelfSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserSelfSerializer(user).data)
