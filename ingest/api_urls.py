"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

from django.urls import path

from ingest.api import ImportDetailView, ImportListView, StatementUploadView

urlpatterns = [
    path(
        "portfolios/<int:portfolio_id>/ingest/csv",
        StatementUploadView.as_view(),
        name="portfolio-ingest-csv",
    ),
    path("portfolios/<int:portfolio_id>/imports", ImportListView.as_view(), name="import-list"),
    path(
        "portfolios/<int:portfolio_id>/imports/<int:import_id>",
        ImportDetailView.as_view(),
        name="import-detail",
    ),
]
