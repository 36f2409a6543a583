"""The demo portfolio comes with targets, so that the Targets tab has something to compare."""

from __future__ import annotations

from decimal import Decimal

import pytest

from demo.loader import demo_load
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_targets

pytestmark = pytest.mark.django_db


def test_the_demo_portfolio_has_targets_and_is_the_default():
    demo_load()
    portfolio = Portfolio.objects.get(source=Portfolio.SOURCE_DEMO)
    assert portfolio_targets(portfolio) == {"btc": Decimal("0.6"), "eth": Decimal("0.4")}
    assert portfolio.is_default
    demo_load()  # again: still one portfolio, kept as it was
    assert Portfolio.objects.filter(source=Portfolio.SOURCE_DEMO).count() == 1
