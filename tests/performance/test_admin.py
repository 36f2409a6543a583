"""The value series in the admin: read-only lists, and a rebuild from scratch."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from performance.models import SeriesState, ValuePoint
from performance.series import series_update
from users.models import User


def test_the_series_is_listed_and_rebuilt_from_scratch(book, django_capture_on_commit_callbacks):
    series_update(portfolio_id=book.pk)
    staff = Client()
    staff.force_login(User.objects.create_superuser(email="ops@example.com", password="ops-pw-1"))
    for name in ("seriesstate", "valuepoint"):
        assert staff.get(reverse(f"admin:performance_{name}_changelist")).status_code == 200
    state = SeriesState.objects.get(portfolio=book)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:performance_seriesstate_changelist"),
            {"action": "rebuild", "_selected_action": [state.pk]},
        )
    assert response.status_code == 302
    rebuilt = SeriesState.objects.get(portfolio=book)
    assert rebuilt.pk != state.pk  # built again from nothing
    assert ValuePoint.objects.filter(portfolio=book).count() == 11
