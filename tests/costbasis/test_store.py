"""Storing and rebuilding: what is stored is what the engine computed; a continuation equals a
rebuild from scratch; a change at or before the last processed row starts over; settings, pins,
accepted transfers and imports trigger rebuilds."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from costbasis.build import costbasis_rebuild_now
from costbasis.engine import Method, Pooling, compute
from costbasis.load import load_entries
from costbasis.models import (
    CostBasisBuild,
    CostBasisFlag,
    CostBasisSettings,
    Disposal,
    DisposalLot,
    IncomeRecord,
    Lot,
)
from costbasis.services import (
    configuration,
    costbasis_rebuild,
    costbasis_settings_update,
    ledger_currency,
)
from costbasis.write import q18
from ledger.models import LedgerEntry, Transfer, Wallet
from portfolios.services import portfolio_delete
from tests.api.conftest import ok
from tests.costbasis.conftest import D, accept, build, cur, day, make_entry, make_wallet
from tests.ledger_api.conftest import make_price

# --- snapshots of what is stored ---------------------------------------------------------------


def stored(portfolio) -> dict:
    """Everything derived for the portfolio, without row ids, in a stable order."""
    disposals = {d.pk: d for d in Disposal.objects.filter(portfolio=portfolio)}
    uses: dict[int, list] = {pk: [] for pk in disposals}
    for u in DisposalLot.objects.filter(portfolio=portfolio).order_by("disposal_id", "position"):
        uses[u.disposal_id].append(
            (u.source_entry_id, u.acquired_at, u.quantity, u.cost, u.proceeds, u.gain, u.long_term)
        )
    return {
        "lots": sorted(
            Lot.objects.filter(portfolio=portfolio).values_list(
                "asset_id",
                "pool",
                "wallet_id",
                "source_entry_id",
                "acquired_at",
                "original_quantity",
                "remaining_quantity",
                "cost",
                "unit_cost",
                "remaining_cost",
                "estimated",
            )
        ),
        "disposals": sorted(
            (
                d.entry_id,
                d.at,
                d.kind,
                d.asset_id,
                d.pool,
                d.wallet_id,
                d.method,
                d.quantity,
                d.proceeds,
                d.cost,
                d.gain,
                d.missing_quantity,
                tuple(uses[pk]),
            )
            for pk, d in disposals.items()
        ),
        "incomes": sorted(
            IncomeRecord.objects.filter(portfolio=portfolio).values_list(
                "entry_id", "at", "year", "asset_id", "quantity", "value"
            )
        ),
        "flags": sorted(
            CostBasisFlag.objects.filter(portfolio=portfolio).values_list(
                "entry_id", "code", "quantity"
            ),
            key=repr,
        ),
        "summary": CostBasisBuild.objects.get(portfolio=portfolio).summary,
    }


def last_build(portfolio) -> CostBasisBuild:
    return CostBasisBuild.objects.get(portfolio=portfolio)


# --- stored = computed -------------------------------------------------------------------------


@pytest.fixture
def small(portfolio, coinbase):
    """Two buys, a sale across both, income, an oversold asset."""
    make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100", fee_value=D("1"))
    make_entry(coinbase, "buy", "2", day("2023-02-01"), value="300")
    make_entry(coinbase, "sell", "2", day("2024-01-15"), value="500", fee_value=D("2"))
    make_entry(coinbase, "income", "0.5", day("2024-02-01"), "eth", value="900")
    make_entry(coinbase, "sell", "1", day("2024-03-01"), "eth", value="2000")
    return portfolio


def test_what_is_stored_is_what_the_engine_computed(small):
    outcome = build(small)

    config = configuration(small)
    loaded = load_entries(small, ledger_currency(small))
    result = compute(loaded.entries, config.settings)
    ids = loaded.ids
    assert (outcome.mode, outcome.reason, outcome.entries) == ("full", "first build", 5)
    assert stored(small)["lots"] == sorted(
        (
            ids[lot.asset],
            "",
            loaded.wallet_of[lot.source_entry_id],
            lot.source_entry_id,
            lot.acquired_at,
            q18(lot.original_quantity),
            q18(lot.remaining_quantity),
            q18(lot.cost),
            q18(lot.unit_cost),
            q18(lot.remaining_cost),
            lot.estimated,
        )
        for lot in result.lots
    )
    disposals = stored(small)["disposals"]
    assert [(d[0], d[7], d[8], d[9], d[11]) for d in disposals] == [
        (r.entry_id, q18(r.quantity), q18(r.proceeds), q18(r.cost), q18(r.missing_quantity))
        for r in result.disposals
    ]
    assert [len(d[12]) for d in disposals] == [len(r.portions) for r in result.disposals]
    assert [[(u[0], u[2], u[3], u[4], u[6]) for u in d[12]] for d in disposals] == [
        [(p.source_entry_id, p.quantity, p.cost, p.proceeds, p.long_term) for p in r.portions]
        for r in result.disposals
    ]
    assert [(i[0], i[5]) for i in stored(small)["incomes"]] == [
        (i.entry_id, i.value) for i in result.incomes
    ]
    assert stored(small)["flags"] == sorted(
        ((f.entry_id, f.code.value, q18(f.quantity)) for f in result.flags), key=repr
    )


def test_figures_of_the_small_ledger(small):
    build(small)
    sale = Disposal.objects.get(portfolio=small, asset__code="btc")
    # lot 1: cost 101 (fee included), lot 2: 1 of 2 at 150; proceeds 498 split 1:1
    assert (sale.proceeds, sale.cost, sale.gain) == (D(498), D(251), D(247))
    assert list(sale_uses(sale)) == [(D(1), D(101), D(249), True), (D(1), D(150), D(249), False)]
    summary = last_build(small).summary
    assert {y: D(v) for y, v in summary["income"].items()} == {"2024": D(900)}
    assert summary["flags"] == {"missing_acquisition": 1}
    eth = Disposal.objects.get(portfolio=small, asset__code="eth").entry_id
    assert summary["missing"] == {"eth": [summary["missing"]["eth"][0], 1, [eth]]}
    assert D(summary["missing"]["eth"][0]) == D("0.5")


def sale_uses(disposal):
    for use in DisposalLot.objects.filter(disposal_id=disposal.pk).order_by("position"):
        yield (use.quantity, use.cost, use.proceeds, use.long_term)


def test_divisions_are_stored_at_18_places(portfolio, coinbase):
    make_entry(coinbase, "buy", "3", day("2023-01-01"), value="100")
    make_entry(coinbase, "sell", "1", day("2023-02-01"), value="50")
    build(portfolio)
    lot = Lot.objects.get(portfolio=portfolio)
    if connection.vendor == "postgresql":
        assert lot.unit_cost == D("33.333333333333333333")
        assert lot.remaining_cost == D("66.666666666666666667")
    else:  # SQLite keeps about 15 significant digits of these derived figures
        assert abs(lot.unit_cost - D("33.333333333333333333")) < D("1e-12")
    # the summary keeps the engine's exact figures
    held = last_build(portfolio).summary["holdings"]["btc"]
    assert held[1] == "66.6666666666666666666666666666666666666666666666" + "67"


# --- continuing versus starting over -----------------------------------------------------------


def test_nothing_changed_does_nothing(small):
    build(small)
    before = stored(small)
    assert build(small).mode == "unchanged"
    assert stored(small) == before


def test_later_rows_continue_and_equal_a_rebuild(small, coinbase):
    build(small)
    make_entry(coinbase, "buy", "1", day("2024-05-01"), value="700")
    make_entry(coinbase, "sell", "1.5", day("2024-06-01"), value="1200")

    outcome = build(small)

    assert (outcome.mode, outcome.entries) == ("incremental", 2)
    continued = stored(small)
    assert build(small, force=True).mode == "full"
    assert stored(small) == continued


@pytest.mark.parametrize(
    "change",
    ["edit", "delete", "backdated", "pin", "accept", "reject"],
)
def test_a_change_at_or_before_the_last_row_starts_over(portfolio, coinbase, change):
    # Given a built ledger
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    buy = make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100")
    make_entry(coinbase, "buy", "1", day("2023-01-02"), value="200")
    send = make_entry(coinbase, "unclassified_out", "0.5", day("2023-02-01"), value="150")
    receive = make_entry(nano, "unclassified_in", "0.5", day("2023-02-01", 13), value="150")
    sell = make_entry(coinbase, "sell", "0.5", day("2023-03-01"), value="400")
    transfer = accept(send, receive) if change == "reject" else None
    build(portfolio)

    # When something at or before the last processed row changes
    if change == "edit":
        sell.value = D("450")
        sell.save()
    elif change == "delete":
        buy.delete()
    elif change == "backdated":
        make_entry(coinbase, "buy", "1", day("2022-12-01"), value="50")
    elif change == "pin":
        sell.pinned_lots = [[buy.pk + 1, "0.5"]]
        sell.save()
    elif change == "accept":
        accept(send, receive)
    else:
        transfer.status = Transfer.REJECTED
        transfer.save()
    make_entry(coinbase, "buy", "1", day("2023-04-01"), value="300")
    outcome = build(portfolio)

    # Then the results are rebuilt from scratch, and equal a forced rebuild
    assert outcome.mode == "full"
    assert outcome.reason in ("earlier rows changed", "earlier transfers changed")
    assert outcome.entries == LedgerEntry.objects.filter(portfolio=portfolio).count()
    after = stored(portfolio)
    build(portfolio, force=True)
    assert stored(portfolio) == after


def test_an_edit_committed_late_is_still_seen(small):
    """A row saved before the build but committed after it has an older updated_at than the
    build saw: the sum of updated_at still changes."""
    build(small)
    entry = LedgerEntry.objects.filter(portfolio=small).order_by("occurred_at").first()
    older = entry.updated_at - timedelta(days=1)
    LedgerEntry.objects.filter(pk=entry.pk).update(value=D("1"), updated_at=older)
    assert build(small).mode == "full"


def test_a_state_the_engine_refuses_starts_over(small, coinbase):
    build(small)
    CostBasisBuild.objects.filter(portfolio=small).update(state={"version": 999})
    make_entry(coinbase, "buy", "1", day("2025-01-01"), value="1")
    outcome = build(small)
    assert outcome.mode == "full" and outcome.reason.startswith("the saved state cannot")


def test_a_failed_build_keeps_the_last_results(small, coinbase, monkeypatch):
    build(small)
    before = stored(small)
    make_entry(coinbase, "buy", "1", day("2025-01-01"), value="1")

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("costbasis.build.compute", broken)
    with pytest.raises(RuntimeError):
        costbasis_rebuild_now(portfolio=small)

    failed = last_build(small)
    assert failed.status == "failed" and failed.error == "RuntimeError: engine exploded"
    assert failed.attempted_at > failed.built_at
    assert stored(small) == before
    monkeypatch.undo()
    assert build(small).mode == "incremental"
    assert last_build(small).status == "ok" and last_build(small).error == ""


def test_deleting_the_portfolio_deletes_its_results(small):
    build(small)
    portfolio_delete(portfolio=small)
    for model in (Lot, Disposal, DisposalLot, IncomeRecord, CostBasisFlag, CostBasisBuild):
        assert not model.objects.exists(), model


# --- generated ledgers: a continuation equals a rebuild, whatever the split ---------------------


def generate(portfolio, rows: int, seed: int) -> list[dict]:
    """Row specs in time order over three assets and two wallets; transfers as (out, in) pairs
    marked with the same ``pair``."""
    rng = random.Random(seed)
    at = day("2022-01-01")
    specs: list[dict] = []
    held = {("btc", 0): D(0), ("btc", 1): D(0), ("eth", 0): D(0), ("eth", 1): D(0)}
    prices = {"btc": 20000, "eth": 1500}
    pair = 0
    while len(specs) < rows:
        at += timedelta(hours=rng.randint(1, 400))
        asset, wallet = rng.choice(["btc", "eth"]), rng.randint(0, 1)
        price = D(prices[asset]) * D(rng.randint(50, 200)) / 100
        have = held[(asset, wallet)]
        roll = rng.random()

        def add(kind, qty, when=at, w=wallet, a=asset, value=True, **kw):
            qty = D(qty).quantize(D("0.0001"))
            if qty <= 0:
                qty = D("0.0001")
            specs.append(
                dict(
                    kind=kind,
                    quantity=qty,
                    at=when,
                    wallet=w,
                    asset=a,
                    value=(qty * price).quantize(D("0.01")) if value else None,
                    **kw,
                )
            )
            return qty

        if roll < 0.35 or have < D("0.01"):
            held[(asset, wallet)] += add("buy", D(rng.randint(1, 300)) / 100, fee=D("1.5"))
        elif roll < 0.55:
            held[(asset, wallet)] -= min(have, add("sell", have * D(rng.randint(10, 110)) / 100))
        elif roll < 0.65:
            held[(asset, wallet)] += add("income", D(rng.randint(1, 50)) / 1000)
        elif roll < 0.75:
            got = add("trade_out", have * D(rng.randint(10, 90)) / 100)
            held[(asset, wallet)] -= got
            other = "eth" if asset == "btc" else "btc"
            held[(other, wallet)] += add("trade_in", got * 2, a=other)
        elif roll < 0.87:
            pair += 1
            sent = add("transfer_out", have * D(rng.randint(10, 100)) / 100, pair=pair)
            held[(asset, wallet)] -= sent
            fee = D(rng.randint(0, 5)) / 10000
            later = at + timedelta(minutes=rng.randint(1, 90))
            got = add("transfer_in", sent - fee, when=later, w=1 - wallet, value=False, pair=pair)
            held[(asset, 1 - wallet)] += got
        elif roll < 0.92:
            held[(asset, wallet)] -= add("unclassified_out", have * D(rng.randint(10, 50)) / 100)
        elif roll < 0.97:
            held[(asset, wallet)] += add("unclassified_in", D(rng.randint(1, 100)) / 100)
        else:
            add("fiat_deposit", D(rng.randint(10, 1000)), a="usd", value=False)
    specs.sort(key=lambda s: s["at"])
    return specs


def insert(portfolio, wallets, specs: list[dict]) -> None:
    rows: dict[object, list[LedgerEntry]] = {}
    for n, spec in enumerate(specs):
        entry = make_entry(
            wallets[spec["wallet"]],
            spec["kind"],
            str(spec["quantity"]),
            spec["at"],
            spec["asset"],
            value=None if spec["value"] is None else str(spec["value"]),
            fee_value=spec.get("fee"),
            external_id=f"gen-{spec['at'].isoformat()}-{n}-{spec['kind']}",
        )
        if "pair" in spec:
            rows.setdefault(spec["pair"], []).append(entry)
    for legs in rows.values():
        if len(legs) == 2:
            out, into = sorted(legs, key=lambda e: e.kind != "transfer_out")
            Transfer.objects.create(
                portfolio=portfolio, out_entry=out, in_entry=into, status=Transfer.ACCEPTED
            )


@pytest.mark.parametrize("pooling", list(Pooling))
@pytest.mark.parametrize("method", list(Method))
def test_continuations_equal_a_rebuild(portfolio, method, pooling):
    # Given a generated ledger, stored in three parts with a build after each
    wallets = [make_wallet(portfolio, "A"), make_wallet(portfolio, "B", kind=Wallet.ACCOUNT)]
    CostBasisSettings.objects.create(
        portfolio=portfolio,
        method=method,
        pooling=pooling,
        method_changes=[{"year": 2023, "method": "average" if method != "average" else "fifo"}],
    )
    specs = generate(portfolio, 90, seed=hash((method, pooling)) % 1000)
    cuts = [n for n in range(1, len(specs)) if not _splits_a_transfer(specs, n)]
    first, second = cuts[len(cuts) // 3], cuts[2 * len(cuts) // 3]
    modes = []
    for part in (specs[:first], specs[first:second], specs[second:]):
        insert(portfolio, wallets, part)
        modes.append(build(portfolio).mode)

    # Then the later builds continued, and their results equal one rebuild from scratch
    assert modes == ["full", "incremental", "incremental"]
    continued = stored(portfolio)
    assert build(portfolio, force=True).mode == "full"
    assert stored(portfolio) == continued
    assert continued["disposals"] and continued["lots"]


def _splits_a_transfer(specs, n) -> bool:
    before = {s["pair"] for s in specs[:n] if "pair" in s}
    after = {s["pair"] for s in specs[n:] if "pair" in s}
    return bool(before & after)


# --- what triggers a rebuild -------------------------------------------------------------------


def test_a_settings_change_rebuilds_with_the_new_method(small, django_capture_on_commit_callbacks):
    build(small)
    with django_capture_on_commit_callbacks(execute=True):
        costbasis_settings_update(portfolio=small, method="lifo")
    sale = Disposal.objects.get(portfolio=small, asset__code="btc")
    assert (sale.method, sale.cost) == ("lifo", D(300))
    assert (last_build(small).mode, last_build(small).reason) == ("full", "settings changed")


def test_pinned_lots_through_the_transactions_patch(
    api, portfolio, coinbase, django_capture_on_commit_callbacks
):
    # Given two buys and a sale that FIFO takes from the first
    first = make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100")
    second = make_entry(coinbase, "buy", "1", day("2023-02-01"), value="200")
    sale = make_entry(coinbase, "sell", "1", day("2023-03-01"), value="300")
    build(portfolio)
    assert [u[0] for u in stored(portfolio)["disposals"][0][12]] == [first.pk]

    # When the sale is pinned to the second lot through the API
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            api.patch(
                f"/api/portfolios/{portfolio.pk}/transactions/{sale.pk}",
                {"pinned_lots": [[second.pk, "1"]]},
                format="json",
            )
        )

    # Then the rebuild ran (the ledger's hook) and the sale used the second lot
    assert [u[0] for u in stored(portfolio)["disposals"][0][12]] == [second.pk]
    assert Disposal.objects.get(portfolio=portfolio).cost == D(200)
    assert Lot.objects.get(portfolio=portfolio).source_entry_id == first.pk


def test_an_accepted_transfer_moves_the_lots(
    api, portfolio, coinbase, django_capture_on_commit_callbacks
):
    # Given per-wallet pooling, a buy on Coinbase and a send to the user's Nano, not yet linked
    CostBasisSettings.objects.create(portfolio=portfolio, pooling="per_wallet")
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    buy = make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100")
    send = make_entry(coinbase, "unclassified_out", "1", day("2023-02-01"), value="400")
    receive = make_entry(nano, "unclassified_in", "0.99", day("2023-02-01", 13), value="396")
    proposal = Transfer.objects.create(portfolio=portfolio, out_entry=send, in_entry=receive)
    build(portfolio)
    # unlinked: the send went elsewhere, the receive took 0.99 of it back
    assert sorted(Lot.objects.values_list("pool", "remaining_quantity", "remaining_cost")) == [
        (nano_key(nano), D("0.99"), D("99")),
        ("elsewhere", D("0.01"), D("1")),
    ]
    assert not Disposal.objects.exists()

    # When the user accepts the transfer
    with django_capture_on_commit_callbacks(execute=True):
        ok(api.post(f"/api/portfolios/{portfolio.pk}/transfers/{proposal.pk}/accept"))

    # Then the lot moved to the Nano with its date and cost, less the fee (a disposal)
    lot = Lot.objects.get(portfolio=portfolio)
    assert (lot.pool, lot.wallet_id, lot.source_entry_id) == (nano_key(nano), nano.pk, buy.pk)
    assert (lot.remaining_quantity, lot.remaining_cost) == (D("0.99"), D("99"))
    fee = Disposal.objects.get(portfolio=portfolio)
    assert (fee.entry_id, fee.kind, fee.quantity, fee.proceeds, fee.cost) == (
        send.pk,
        "transfer_out",
        D("0.01"),
        D("4"),
        D("1"),
    )
    assert last_build(portfolio).reason in ("earlier rows changed", "earlier transfers changed")


def nano_key(wallet) -> str:
    return f"{wallet.kind}:{wallet.pk}"


def test_values_in_another_fiat_currency_are_converted_at_the_daily_price(portfolio, coinbase):
    make_price("eur", "usd", day("2023-01-01"), "1.1")
    make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100", value_currency="eur")
    make_entry(coinbase, "buy", "1", day("2023-01-02"), value="100", value_currency="eur")
    build(portfolio)
    lots = dict(Lot.objects.values_list("acquired_at", "cost"))
    assert lots == {day("2023-01-01"): D("110.0"), day("2023-01-02"): D(0)}
    flags = list(CostBasisFlag.objects.values_list("code", flat=True))
    assert flags == ["missing_value"]
    assert last_build(portfolio).currency == cur("usd")


def test_a_malformed_pin_or_transfer_does_not_break_the_build(portfolio, coinbase):
    buy = make_entry(coinbase, "buy", "1", day("2023-01-01"), value="100")
    other = make_entry(coinbase, "buy", "1", day("2023-01-01", 13), "eth", value="100")
    make_entry(
        coinbase,
        "sell",
        "0.5",
        day("2023-02-01"),
        value="80",
        pinned_lots=[["x", "1"], [buy.pk, "-1"], [buy.pk, "0.5"]],
    )
    # an accepted "transfer" between two buys of different assets: ignored
    Transfer.objects.create(
        portfolio=portfolio, out_entry=buy, in_entry=other, status=Transfer.ACCEPTED
    )
    assert build(portfolio).mode == "full"
    assert Disposal.objects.get(portfolio=portfolio).cost == D(50)


def test_ledger_hooks_enqueue_a_rebuild(small, django_capture_on_commit_callbacks):
    from ledger.services import after_ledger_change

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        after_ledger_change(small)
    assert len(callbacks) >= 1
    assert last_build(small).status == "ok"


def test_rebuild_is_enqueued_once(small, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert costbasis_rebuild(small).merged is False
        assert costbasis_rebuild(small).merged is True
    assert len(callbacks) == 1


def test_decimal_helpers():
    assert q18(Decimal("1") / Decimal("3")) == Decimal("0.333333333333333333")
    assert q18(Decimal("0.0000000000000000005")) == Decimal(0)  # half even
    assert q18(Decimal("0.0000000000000000015")) == Decimal("0.000000000000000002")


def test_an_import_triggers_a_build(small, django_capture_on_commit_callbacks):
    from ingest.services import after_import

    with django_capture_on_commit_callbacks(execute=True):
        after_import(small)
    assert last_build(small).mode == "full"


def test_a_failing_build_task_is_recorded_and_raised(small, monkeypatch):
    # Given an engine that breaks
    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("costbasis.build.compute", broken)

    # When the rebuild task runs (as the worker would): it fails where it can be seen
    from costbasis.tasks import costbasis_rebuild_task

    with pytest.raises(RuntimeError, match="engine exploded"):
        costbasis_rebuild_task.apply(args=(small.pk,), throw=True)

    # Then the failure is also on the build, for the API and the dashboard
    assert last_build(small).status == "failed"


def test_a_message_queued_under_the_tasks_old_name_still_builds(small):
    # Given a message queued before the task moved from ledger.tasks to costbasis.tasks
    from config.celery import app

    # When a worker of this version (which imports every app's tasks at start) receives it
    app.loader.import_default_modules()
    app.tasks["ledger.tasks.costbasis_rebuild"].apply(args=(small.pk,), throw=True)

    # Then it builds the cost basis: the BTC sale (2 for 500 - 2 fee) used the first buy (1 for
    # 100 + 1 fee) and half of the second (2 for 300): cost 101 + 150, gain 498 - 251 = 247
    assert last_build(small).status == "ok"
    sale = Disposal.objects.get(portfolio=small, asset__code="btc")
    assert (sale.proceeds, sale.cost, sale.gain) == (D("498"), D("251"), D("247"))


def test_a_queued_full_rebuild_is_not_weakened_by_a_plain_request(
    small, coinbase, queued, django_capture_on_commit_callbacks
):
    # Given a built portfolio, a rebuild from scratch queued, and then a plain one asked for
    build(small)
    make_entry(coinbase, "buy", "1", day("2025-01-01"), value="1")
    with django_capture_on_commit_callbacks(execute=True):
        assert costbasis_rebuild(small, force=True).merged is False
        plain = costbasis_rebuild(small)
    assert (plain.merged, len(queued)) == (True, 1)

    # When the queued task runs: from scratch, although a continuation would do
    queued.run()
    assert (last_build(small).mode, last_build(small).reason) == ("full", "rebuild asked for")


def test_a_failed_full_rebuild_is_asked_for_again(
    small, coinbase, queued, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a rebuild from scratch queued, and a build that breaks
    build(small)
    make_entry(coinbase, "buy", "1", day("2025-01-01"), value="1")
    with django_capture_on_commit_callbacks(execute=True):
        costbasis_rebuild(small, force=True)
    with monkeypatch.context() as patched:
        patched.setattr("costbasis.build.compute", _broken)
        with pytest.raises(RuntimeError):
            queued.run()

    # When the next (plain) rebuild runs with a working engine
    with django_capture_on_commit_callbacks(execute=True):
        costbasis_rebuild(small)
    queued.run()

    # Then it is the rebuild from scratch that was asked for
    assert (last_build(small).mode, last_build(small).reason) == ("full", "rebuild asked for")


def _broken(*args, **kwargs):
    raise RuntimeError("engine exploded")
