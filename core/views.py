from __future__ import annotations

from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView
from core.envelope import failure_body, json_failure
from core.health import run_checks


class StatusView(ApiView):
    public = True

    @extend_schema(
        responses=inline_serializer(
            "Status",
            {
                "ok": serializers.ListField(child=serializers.CharField()),
                "failing": serializers.ListField(child=serializers.CharField()),
            },
        ),
        summary="Service health: 200 when nothing is failing, 503 otherwise",
    )
    def get(self, request: Request) -> Response:
        ok, failing = run_checks()
        if failing:
            return Response(failure_body(503, ok=ok, failing=failing), status=503)
        return Response({"ok": ok, "failing": failing})


@csrf_exempt  # a POST to a path that does not exist is the enveloped 404, not the CSRF page
def api_not_found(request, *args, **kwargs):
    return json_failure(404)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_failure(404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_failure(500, request_id=getattr(request, "request_id", "-"))
    from django.views.defaults import server_error

    return server_error(request)
