"""The project's URLs with the cost-basis routes in front of the API's catch-all 404, for as long
as config/urls.py does not include ledger.costbasis_urls itself (see conftest.py)."""

from django.urls import include, path

from config import urls as base
from ledger.costbasis_urls import urlpatterns as costbasis

handler404 = base.handler404
handler500 = base.handler500

urlpatterns = [
    path("api/", include((costbasis + base.api_patterns, "api"), namespace="api")),
    *[p for p in base.urlpatterns if str(p.pattern) != "api/"],
]
