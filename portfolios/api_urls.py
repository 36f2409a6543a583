"""API routes of this app, included under /api/ (no trailing slashes, as API.md wants)."""

urlpatterns: list = []
