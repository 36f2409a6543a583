"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from portfolios.api_analytics import PortfolioAnalyticsView
from portfolios.api_totals import (
    PortfolioBalancesView,
    PortfolioConvertedHistoryView,
    PortfolioConvertedView,
    PortfolioRefreshView,
)

urlpatterns = [
    path(
        "portfolios/<int:portfolio_id>/balances",
        PortfolioBalancesView.as_view(),
        name="portfolio-balances",
    ),
    path(
        "portfolios/<int:portfolio_id>/converted",
        PortfolioConvertedView.as_view(),
        name="portfolio-converted",
    ),
    path(
        "portfolios/<int:portfolio_id>/converted/history",
        PortfolioConvertedHistoryView.as_view(),
        name="portfolio-converted-history",
    ),
    path(
        "portfolios/<int:portfolio_id>/analytics",
        PortfolioAnalyticsView.as_view(),
        name="portfolio-analytics",
    ),
    path(
        "portfolios/<int:portfolio_id>/refresh",
        PortfolioRefreshView.as_view(),
        name="portfolio-refresh",
    ),
]
