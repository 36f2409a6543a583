"""The admin shows a portfolio's settings and targets, and refuses targets that do not sum to 1
as the API does."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from currencies.models import Currency
from portfolios.admin import TargetInline
from portfolios.models import Portfolio
from portfolios.services import portfolio_create
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return User.objects.create_superuser(email="ops@example.com", password="ops-password-1")


@pytest.fixture
def portfolio(alice):
    return portfolio_create(
        user=alice,
        title="Main",
        currency_codes=["usd"],
        source="t",
        fields={"target_allocations": {"btc": 1}, "status": "active"},
    )


def test_the_change_page_shows_the_targets_and_the_uuid(staff, portfolio):
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:portfolios_portfolio_change", args=[portfolio.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="targets-group"' in html
    assert str(portfolio.uuid) in html
    assert (
        client.get(reverse("admin:portfolios_portfolio_changelist") + "?status=active").status_code
        == 200
    )


def _formset(staff, portfolio, rows):
    request = RequestFactory().post("/")
    request.user = staff
    FormSet = TargetInline(Portfolio, admin.site).get_formset(request, portfolio)
    target = portfolio.targets.get()
    data = {
        "targets-TOTAL_FORMS": str(len(rows) + 1),
        "targets-INITIAL_FORMS": "1",
        "targets-0-id": str(target.pk),
        "targets-0-portfolio": str(portfolio.pk),
        "targets-0-currency": str(target.currency_id),
        "targets-0-fraction": rows[0][1] if rows else "1",
        "targets-0-DELETE": "" if rows else "on",
    }
    for i, (code, fraction) in enumerate(rows[1:], start=1):
        data |= {
            f"targets-{i}-portfolio": str(portfolio.pk),
            f"targets-{i}-currency": str(Currency.objects.get(code=code).pk),
            f"targets-{i}-fraction": fraction,
        }
    return FormSet(data, instance=portfolio, prefix="targets")


def test_targets_that_do_not_sum_to_one_are_refused(staff, portfolio):
    formset = _formset(staff, portfolio, [("btc", "0.5"), ("eth", "0.4")])
    assert not formset.is_valid()
    assert formset.non_form_errors() == [
        "target_allocations must sum to exactly 1 (these sum to 0.9)"
    ]
    assert _formset(staff, portfolio, [("btc", "0.5"), ("eth", "0.5")]).is_valid()
    assert _formset(staff, portfolio, []).is_valid()  # none at all: no targets
