"""API routes of the cost basis, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from costbasis.api import (
    CostBasisDisposalsView,
    CostBasisLotsView,
    CostBasisRebuildView,
    CostBasisReportView,
    CostBasisSettingsView,
    CostBasisView,
)

P = "portfolios/<int:portfolio_id>/cost-basis"

urlpatterns = [
    path(P, CostBasisView.as_view(), name="costbasis"),
    path(f"{P}/lots", CostBasisLotsView.as_view(), name="costbasis-lots"),
    path(f"{P}/disposals", CostBasisDisposalsView.as_view(), name="costbasis-disposals"),
    path(f"{P}/report.csv", CostBasisReportView.as_view(), name="costbasis-report"),
    path(f"{P}/settings", CostBasisSettingsView.as_view(), name="costbasis-settings"),
    path(f"{P}/rebuild", CostBasisRebuildView.as_view(), name="costbasis-rebuild"),
]
