"""Builders for the cost-basis tests: alice's portfolio with rows made directly with the ORM
(the sources are tested elsewhere), builds run in-process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from costbasis import services as costbasis_store
from costbasis.build import costbasis_rebuild_now
from ledger.models import LedgerEntry, Transfer
from prices.models import SpotPrice
from tests.ledger_api.conftest import cur, make_entry, make_portfolio, make_wallet

__all__ = ["D", "build", "cur", "day", "make_entry", "make_portfolio", "make_wallet", "spot"]

D = Decimal


def day(text: str, hour: int = 12) -> datetime:
    """'2024-03-01' at noon UTC."""
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=UTC)


def build(portfolio, force: bool = False):
    return costbasis_rebuild_now(portfolio=portfolio, force=force)


def spot(base: str, quote: str, price: str) -> SpotPrice:
    now = datetime.now(UTC)
    return SpotPrice.objects.create(
        base=cur(base), quote=cur(quote), price=D(price), at=now, fetched_at=now, source="test"
    )


def accept(out: LedgerEntry, into: LedgerEntry) -> Transfer:
    """An accepted transfer between two rows (their kinds become transfer_out / transfer_in)."""
    LedgerEntry.objects.filter(pk=out.pk).update(kind="transfer_out")
    LedgerEntry.objects.filter(pk=into.pk).update(kind="transfer_in")
    return Transfer.objects.create(
        portfolio=out.portfolio, out_entry=out, in_entry=into, status=Transfer.ACCEPTED
    )


@pytest.fixture(autouse=True)
def _own_enqueued_flags(monkeypatch):
    """The enqueued flags live in the cache, which is Redis when REDIS_URL is set and outlives
    the test's transaction (and the portfolio ids of another run): each test gets its own."""
    token = uuid.uuid4().hex[:12]
    monkeypatch.setattr(costbasis_store, "rebuild_key", lambda pk: f"costbasis:{token}:{pk}")


@pytest.fixture
def portfolio(alice):
    """Alice's portfolio, reported in usd and btc."""
    return make_portfolio(alice)


@pytest.fixture
def coinbase(portfolio):
    return make_wallet(portfolio)


class Queued:
    """Cost-basis rebuilds sent to the broker (recorded, not run) until ``run()`` runs them,
    as a worker would, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def __len__(self) -> int:
        return len(self.calls)

    def apply_async(self, args=(), kwargs=None, **options) -> None:
        self.calls.append((tuple(args or ()), dict(kwargs or {})))

    def run(self) -> None:
        from costbasis.tasks import costbasis_rebuild_task

        calls, self.calls = self.calls, []
        for args, kwargs in calls:
            costbasis_rebuild_task.apply(args=args, kwargs=kwargs, throw=True)


@pytest.fixture
def queued(settings, monkeypatch) -> Queued:
    """A broker instead of synchronous tasks (TASKS_SYNC and TASKS_IN_PROCESS off): every
    rebuild enqueued waits in ``queued`` until the test runs it."""
    from costbasis.tasks import costbasis_rebuild_task

    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = False
    record = Queued()
    monkeypatch.setattr(costbasis_rebuild_task, "apply_async", record.apply_async)
    return record
