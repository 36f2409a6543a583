from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, UtcDateTimeField


class UserSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    created_at = UtcDateTimeField()
    uuid = serializers.UUIDField()


class CurrentUserView(ApiView):
    info_allowed = True

    @extend_schema(
        responses=UserSerializer, summary="The signed-in user (scope admin, read or info)"
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)
