from __future__ import annotations

from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView
from core.envelope import failure_body, json_failure
from core.health import run_checks
from core.limits import TOO_LARGE, too_large_sentence


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


def handler400(request, exception=None):
    """Django's own refusals (a body too large or of too many fields, a bad request): under
    /api/ the envelope, 413 for a body too large, never an HTML page."""
    if request.path.startswith("/api/"):
        if isinstance(exception, TOO_LARGE):
            return json_failure(413, invalid=[too_large_sentence(exception)])
        return json_failure(400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return json_failure(403)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the envelope under /api/ (a bearer client has no CSRF token to
    send), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return json_failure(403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)


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
