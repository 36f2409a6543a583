"""API routes of this app, included under /api/."""

from django.urls import path

from performance.api import (
    PortfolioHistoryExportView,
    PortfolioHistoryView,
    PortfolioPerformanceView,
)

urlpatterns = [
    path(
        "portfolios/<int:portfolio_id>/history",
        PortfolioHistoryView.as_view(),
        name="portfolio-history",
    ),
    path(
        "portfolios/<int:portfolio_id>/history/performance",
        PortfolioPerformanceView.as_view(),
        name="portfolio-history-performance",
    ),
    path(
        "portfolios/<int:portfolio_id>/history/export",
        PortfolioHistoryExportView.as_view(),
        name="portfolio-history-export",
    ),
]
