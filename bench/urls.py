"""The project's URLs plus ``/bench/trivial``: a Django view answering a constant JSON body
through the same middleware stack, the baseline the API endpoints are compared with."""

from django.http import JsonResponse
from django.urls import path

from config import urls as project

handler404 = project.handler404
handler500 = project.handler500

BODY = {"success": True, "time": 0, "result": {"ok": True}}


def trivial(request):
    return JsonResponse(BODY)


urlpatterns = [path("bench/trivial", trivial, name="bench-trivial"), *project.urlpatterns]
