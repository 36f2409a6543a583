"""Routes of the ``/api/v1/portfolio`` surface (included before ``/api/``'s catch-all), at
the seed's own paths: the list at ``/api/v1/portfolio/``, every other route without a slash."""

from django.urls import path

from v1 import views

urlpatterns = [
    path("health", views.HealthView.as_view(), name="v1-health"),
    path("balances", views.BalancesView.as_view(), name="v1-balances"),
    path("aggregate", views.AggregateView.as_view(), name="v1-aggregate"),
    path("cost-basis", views.CostBasisView.as_view(), name="v1-cost-basis"),
    path("cost-basis/lots", views.CostBasisLotsView.as_view(), name="v1-lots"),
    path("cost-basis/lots/rebuild", views.CostBasisRebuildView.as_view(), name="v1-rebuild"),
    path("ingest/csv", views.IngestCsvView.as_view(), name="v1-ingest-csv"),
    path("ingest/backfill", views.IngestBackfillView.as_view(), name="v1-backfill"),
    path("refresh", views.RefreshView.as_view(), name="v1-refresh"),
    path("value-history", views.ValueHistoryView.as_view(), name="v1-value-history"),
    path("history", views.HistoryView.as_view(), name="v1-history"),
    path("history/performance", views.PerformanceView.as_view(), name="v1-performance"),
    path("history/export", views.ExportView.as_view(), name="v1-export"),
    path("", views.PortfolioListView.as_view(), name="v1-list"),
    path(
        "<str:portfolio_id>/analytics",
        views.PortfolioAnalyticsView.as_view(),
        name="v1-analytics",
    ),
    path("<str:portfolio_id>", views.PortfolioDetailView.as_view(), name="v1-detail"),
]
