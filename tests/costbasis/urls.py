"""The project's URLs with the cost-basis routes in front of the API's catch-all 404 and the
cost-basis admin registered, for as long as config/urls.py and ledger/admin.py do not include
them themselves (see conftest.py)."""

from django.contrib import admin
from django.urls import include, path

import ledger.admin_costbasis  # noqa: F401  (registers the models)
from config import urls as base
from ledger.costbasis_urls import urlpatterns as costbasis

handler404 = base.handler404
handler500 = base.handler500

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include((costbasis + base.api_patterns, "api"), namespace="api")),
    *[p for p in base.urlpatterns if str(p.pattern) not in ("api/", "admin/")],
]
