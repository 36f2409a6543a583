"""Transfer matching: a send from one of the user's wallets and a receive into another, same
asset, proposed as one transfer (same txid: accepted at once)."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from ledger.transfers import Leg, find_matches, transfer_accept, transfer_reject, transfers_match
from tests.ledger_api.conftest import at, make_entry, make_wallet

D = Decimal
T0 = at(10, 8)


@pytest.fixture
def coinbase(portfolio) -> Wallet:
    return make_wallet(portfolio, "Coinbase")


@pytest.fixture
def ledger_wallet(portfolio) -> Wallet:
    return make_wallet(portfolio, "Ledger Nano", kind=Wallet.ACCOUNT)


def pairs() -> list[tuple[int, int, str, str]]:
    return list(
        Transfer.objects.order_by("pk").values_list(
            "out_entry_id", "in_entry_id", "status", "matched_by"
        )
    )


def test_same_txid_is_accepted_at_once(portfolio, coinbase, ledger_wallet):
    # Given a send and a receive of one chain transaction, a day apart in the records
    send = make_entry(coinbase, "unclassified_out", "0.5", T0, reference="abc123")
    receive = make_entry(
        ledger_wallet, "unclassified_in", "0.4995", T0 + timedelta(days=1), reference="abc123"
    )

    result = transfers_match(portfolio=portfolio)

    # Then they are one accepted transfer whose fee is the difference, legs re-classified
    assert (result.proposed, result.accepted) == (0, 1)
    [transfer] = Transfer.objects.all()
    assert pairs() == [(send.pk, receive.pk, "accepted", "txid")]
    assert transfer.fee_quantity == D("0.0005") and transfer.decided_at is not None
    send.refresh_from_db()
    receive.refresh_from_db()
    assert (send.kind, receive.kind) == ("transfer_out", "transfer_in")
    assert (transfer.out_kind_before, transfer.in_kind_before) == (
        "unclassified_out",
        "unclassified_in",
    )
    # holdings recomputed on both sides (directions unchanged)
    assert WalletHolding.objects.get(wallet=coinbase).quantity == D("-0.5")
    assert WalletHolding.objects.get(wallet=ledger_wallet).quantity == D("0.4995")


def test_within_window_is_proposed(portfolio, coinbase, ledger_wallet):
    send = make_entry(coinbase, "unclassified_out", "1", T0)
    receive = make_entry(ledger_wallet, "unclassified_in", "0.995", T0 + timedelta(hours=2))

    result = transfers_match(portfolio=portfolio)

    assert (result.proposed, result.accepted) == (1, 0)
    assert pairs() == [(send.pk, receive.pk, "proposed", "window")]
    assert Transfer.objects.get().fee_quantity == D("0.005")
    send.refresh_from_db()
    assert send.kind == "unclassified_out"  # nothing changes until the user accepts


@pytest.mark.parametrize(
    ("received", "after", "matched"),
    [
        ("1", timedelta(hours=12), True),  # the window's end is included
        ("1", timedelta(hours=12, seconds=1), False),  # outside the window
        ("1", timedelta(0), True),  # same second
        ("1", -timedelta(minutes=1), False),  # received before it was sent
        ("0.99", timedelta(hours=1), True),  # difference exactly 1 %
        ("0.9899", timedelta(hours=1), False),  # over the tolerance
        ("1.0001", timedelta(hours=1), False),  # received more than sent
    ],
)
def test_window_and_tolerance(portfolio, coinbase, ledger_wallet, received, after, matched):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", received, T0 + after)

    transfers_match(portfolio=portfolio)

    assert Transfer.objects.exists() is matched


def test_outside_window_none(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=13))
    assert transfers_match(portfolio=portfolio).proposed == 0
    assert not Transfer.objects.exists()


def test_amount_over_tolerance_none(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "2", T0)
    make_entry(ledger_wallet, "unclassified_in", "1.9", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_received_more_than_sent_none(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "1.000001", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_two_candidates_the_closest_in_time_wins(portfolio, coinbase, ledger_wallet):
    # Given one send and two receives that both fit, at +3 h and +1 h
    other = make_wallet(portfolio, "Trezor", kind=Wallet.ACCOUNT)
    send = make_entry(coinbase, "unclassified_out", "1", T0)
    later = make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=3))
    closer = make_entry(other, "unclassified_in", "0.999", T0 + timedelta(hours=1))

    transfers_match(portfolio=portfolio)

    # Then the closer one is proposed and the other stays unmatched
    assert pairs() == [(send.pk, closer.pk, "proposed", "window")]
    later.refresh_from_db()
    assert later.kind == "unclassified_in"
    assert not Transfer.objects.filter(in_entry=later).exists()


def test_two_sends_for_one_receive_the_closest_wins(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    closer = make_entry(coinbase, "unclassified_out", "1", T0 + timedelta(hours=5))
    receive = make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=6))

    transfers_match(portfolio=portfolio)

    assert pairs() == [(closer.pk, receive.pk, "proposed", "window")]


def test_same_wallet_is_no_transfer(portfolio, coinbase):
    make_entry(coinbase, "unclassified_out", "1", T0, reference="same")
    make_entry(coinbase, "unclassified_in", "1", T0 + timedelta(hours=1), reference="same")
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_other_asset_is_no_transfer(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0, asset="btc", reference="x")
    make_entry(
        ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1), asset="ltc", reference="x"
    )
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_only_candidate_kinds_and_free_rows_match(portfolio, coinbase, ledger_wallet):
    # A buy is no send, a fee is no receive, a migration leg is linked by its source already
    make_entry(coinbase, "sell", "1", T0)
    make_entry(ledger_wallet, "buy", "1", T0 + timedelta(hours=1))
    make_entry(coinbase, "transfer_out", "2", T0, migration=True)
    make_entry(ledger_wallet, "transfer_in", "2", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_transfer_kinds_from_a_source_are_candidates(portfolio, coinbase, ledger_wallet):
    send = make_entry(coinbase, "transfer_out", "3", T0)  # e.g. a Coinbase "Exchange Deposit"
    receive = make_entry(ledger_wallet, "transfer_in", "3", T0 + timedelta(minutes=5))
    transfers_match(portfolio=portfolio)
    assert pairs() == [(send.pk, receive.pk, "proposed", "window")]


def test_matching_again_changes_nothing(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    before = pairs()
    assert transfers_match(portfolio=portfolio).proposed == 0
    assert pairs() == before


def test_rejected_pair_is_never_proposed_again(portfolio, coinbase, ledger_wallet):
    send = make_entry(coinbase, "unclassified_out", "1", T0)
    receive = make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    transfer_reject(transfer=Transfer.objects.get())

    transfers_match(portfolio=portfolio)
    transfers_match(portfolio=portfolio)

    assert pairs() == [(send.pk, receive.pk, "rejected", "window")]


def test_rejecting_frees_the_send_for_the_other_candidate(portfolio, coinbase, ledger_wallet):
    other = make_wallet(portfolio, "Trezor", kind=Wallet.ACCOUNT)
    send = make_entry(coinbase, "unclassified_out", "1", T0)
    closer = make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1))
    later = make_entry(other, "unclassified_in", "1", T0 + timedelta(hours=2))
    transfers_match(portfolio=portfolio)

    transfer_reject(transfer=Transfer.objects.get())

    assert pairs() == [
        (send.pk, closer.pk, "rejected", "window"),
        (send.pk, later.pk, "proposed", "window"),
    ]


def test_accept_then_reject_restores_the_kinds(portfolio, coinbase, ledger_wallet):
    send = make_entry(coinbase, "unclassified_out", "1", T0)
    receive = make_entry(ledger_wallet, "transfer_in", "1", T0 + timedelta(hours=1))
    transfers_match(portfolio=portfolio)
    transfer = transfer_accept(transfer=Transfer.objects.get())
    assert (transfer.out_kind_before, transfer.in_kind_before) == ("unclassified_out", "")

    transfer_reject(transfer=transfer)

    send.refresh_from_db()
    receive.refresh_from_db()
    # the send gets back what the accept replaced; the receive was a transfer_in from its source
    assert (send.kind, receive.kind) == ("unclassified_out", "transfer_in")


def test_txid_match_with_a_user_changed_leg_waits_for_the_user(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0, reference="tx9", user_modified=True)
    make_entry(ledger_wallet, "unclassified_in", "1", T0, reference="tx9")
    transfers_match(portfolio=portfolio)
    assert Transfer.objects.get().status == "proposed"


def test_two_on_chain_rows_with_different_txids_are_not_matched(portfolio):
    hot = make_wallet(portfolio, "Hot", kind=Wallet.ADDRESS)
    cold = make_wallet(portfolio, "Cold", kind=Wallet.ADDRESS)
    make_entry(hot, "unclassified_out", "1", T0, reference="tx-a")
    make_entry(cold, "unclassified_in", "1", T0 + timedelta(minutes=20), reference="tx-b")
    transfers_match(portfolio=portfolio)
    assert not Transfer.objects.exists()


def test_one_txid_paying_two_own_wallets_matches_the_closest_amount(
    portfolio, coinbase, ledger_wallet
):
    other = make_wallet(portfolio, "Trezor", kind=Wallet.ACCOUNT)
    send = make_entry(coinbase, "unclassified_out", "3", T0, reference="tx5")
    make_entry(ledger_wallet, "unclassified_in", "1", T0, reference="tx5")
    bigger = make_entry(other, "unclassified_in", "2", T0, reference="tx5")
    transfers_match(portfolio=portfolio)
    assert pairs() == [(send.pk, bigger.pk, "accepted", "txid")]


def test_accepting_a_leg_taken_by_another_transfer_is_refused(portfolio, coinbase, ledger_wallet):
    other = make_wallet(portfolio, "Trezor", kind=Wallet.ACCOUNT)
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1))
    make_entry(other, "unclassified_in", "1", T0 + timedelta(hours=2))
    transfers_match(portfolio=portfolio)
    first = Transfer.objects.get()
    transfer_reject(transfer=first)  # the send is then proposed with the other receive
    second = Transfer.objects.get(status="proposed")
    transfer_accept(transfer=second)

    from core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        transfer_accept(transfer=first)
    assert exc.value.problems == [
        f"entry {first.out_entry_id} is already part of transfer {second.pk}"
    ]


@override_settings(TRANSFER_MATCH_WINDOW_HOURS=1, TRANSFER_MATCH_TOLERANCE="0.001")
def test_window_and_tolerance_come_from_settings(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "0.999", T0 + timedelta(minutes=59))
    make_entry(coinbase, "unclassified_out", "5", T0 + timedelta(days=1))
    make_entry(ledger_wallet, "unclassified_in", "5", T0 + timedelta(days=1, hours=2))
    transfers_match(portfolio=portfolio)
    assert Transfer.objects.count() == 1


@override_settings(TRANSFER_MATCH_MIN_FEE={"btc": "0.0005"})
def test_absolute_minimum_fee_for_small_sends(portfolio, coinbase, ledger_wallet):
    # 0.0004 of 0.01 is 4 %: too much for the 1 % rule, within the 0.0005 BTC minimum
    make_entry(coinbase, "unclassified_out", "0.01", T0)
    make_entry(ledger_wallet, "unclassified_in", "0.0096", T0 + timedelta(minutes=30))
    transfers_match(portfolio=portfolio)
    assert Transfer.objects.get().fee_quantity == D("0.0004")


def test_matching_never_crosses_portfolios(alice, portfolio, coinbase):
    from tests.ledger_api.conftest import make_portfolio

    elsewhere = make_wallet(make_portfolio(alice, "Other"), "Nano")
    make_entry(coinbase, "unclassified_out", "1", T0, reference="tx")
    make_entry(elsewhere, "unclassified_in", "1", T0, reference="tx")
    transfers_match(portfolio=portfolio)
    transfers_match(portfolio=elsewhere.portfolio)
    assert not Transfer.objects.exists()


# --- the pure matcher ------------------------------------------------------------------------


def leg(pk, wallet, hours, quantity, reference="", asset="btc", on_chain=False):
    return Leg(pk, wallet, on_chain, asset, T0 + timedelta(hours=hours), D(quantity), reference)


RULES = {"window": timedelta(hours=12), "tolerance": D("0.01")}


def test_matches_do_not_depend_on_input_order():
    rng = random.Random(7)
    sends = [leg(i, i % 3, i * 2, "1") for i in range(1, 40)]
    receives = [
        leg(
            100 + i,
            (i + 1) % 3,
            i * 2 + rng.choice([0, 1, 3, 13]),
            rng.choice(["1", "0.995", "0.9"]),
        )
        for i in range(1, 40)
    ]
    expected = {(m.out.id, m.into.id) for m in find_matches(sends, receives, **RULES)}
    assert expected
    for _ in range(5):
        rng.shuffle(sends)
        rng.shuffle(receives)
        assert {(m.out.id, m.into.id) for m in find_matches(sends, receives, **RULES)} == expected


def test_each_leg_is_used_once_and_every_match_keeps_the_rules():
    rng = random.Random(11)
    sends = [
        leg(i, rng.randrange(4), rng.uniform(0, 200), str(rng.choice([1, 2]))) for i in range(300)
    ]
    receives = [
        leg(
            1000 + i, rng.randrange(4), rng.uniform(0, 200), rng.choice(["1", "2", "0.995", "1.99"])
        )
        for i in range(300)
    ]
    matches = find_matches(sends, receives, **RULES)
    assert len({m.out.id for m in matches}) == len({m.into.id for m in matches}) == len(matches)
    for m in matches:
        assert m.out.wallet_id != m.into.wallet_id
        assert timedelta(0) <= m.into.at - m.out.at <= RULES["window"]
        assert D(0) <= m.out.quantity - m.into.quantity <= m.out.quantity * RULES["tolerance"]


def test_matching_is_not_quadratic():
    # 20 000 sends and receives spread over ~3 years, each with a partner 10 minutes later
    n = 20_000
    sends = [leg(i, 1, i * 1.3, "1") for i in range(n)]
    receives = [leg(n + i, 2, i * 1.3 + 0.17, "0.999") for i in range(n)]
    started = time.perf_counter()
    matches = find_matches(sends, receives, **RULES)
    assert len(matches) == n
    assert time.perf_counter() - started < 5


def test_rejected_pairs_are_skipped_by_the_matcher():
    sends = [leg(1, 1, 0, "1")]
    receives = [leg(2, 2, 1, "1"), leg(3, 3, 2, "1")]
    [match] = find_matches(sends, receives, rejected={(1, 2)}, **RULES)
    assert match.into.id == 3


def test_ledger_rows_unchanged_by_a_proposal(portfolio, coinbase, ledger_wallet):
    make_entry(coinbase, "unclassified_out", "1", T0)
    make_entry(ledger_wallet, "unclassified_in", "1", T0 + timedelta(hours=1))
    before = list(LedgerEntry.objects.order_by("pk").values_list("kind", "updated_at"))
    transfers_match(portfolio=portfolio)
    assert list(LedgerEntry.objects.order_by("pk").values_list("kind", "updated_at")) == before
