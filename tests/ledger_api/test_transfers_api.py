"""The transfers API: proposals listed by status and paged, accepted or rejected by the user."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from ledger.transfers import transfers_match
from tests.api.conftest import fail, ok
from tests.ledger_api.conftest import at, make_entry, make_wallet

D = Decimal
T0 = at(10, 8)


@pytest.fixture
def setup(portfolio):
    coinbase = make_wallet(portfolio, "Coinbase")
    nano = make_wallet(portfolio, "Nano", kind=Wallet.ACCOUNT)
    send = make_entry(coinbase, "unclassified_out", "1", T0, value="60000")
    receive = make_entry(nano, "unclassified_in", "0.9995", T0 + timedelta(hours=2))
    # and one matched by txid, accepted at once
    make_entry(coinbase, "unclassified_out", "0.2", at(12), reference="tx-1")
    make_entry(nano, "unclassified_in", "0.2", at(12, 13), reference="tx-1")
    transfers_match(portfolio=portfolio)
    proposed = Transfer.objects.get(status="proposed")
    return portfolio, coinbase, nano, send, receive, proposed


def url(portfolio, path: str = "") -> str:
    return f"/api/portfolios/{portfolio.pk}/transfers{path}"


def test_transfer_shape(api, setup):
    portfolio, coinbase, nano, send, receive, proposed = setup

    result = ok(api.get(url(portfolio, f"/{proposed.pk}")))

    assert result == {
        "id": proposed.pk,
        "status": "proposed",
        "matched_by": "window",
        "asset": {"code": "btc", "title": "Bitcoin"},
        "fee_quantity": "0.0005",
        "out_entry": {
            "id": send.pk,
            "occurred_at": "2024-03-10T08:00:00+00:00",
            "kind": "unclassified_out",
            "quantity": "1.0",
            "value": "60000.0",
            "value_currency": {"code": "usd", "title": "United States dollar"},
            "wallet": {"id": coinbase.pk, "kind": "import", "name": "Coinbase"},
            "reference": "",
            "external_id": send.external_id,
        },
        "in_entry": {
            "id": receive.pk,
            "occurred_at": "2024-03-10T10:00:00+00:00",
            "kind": "unclassified_in",
            "quantity": "0.9995",
            "value": None,
            "value_currency": None,
            "wallet": {"id": nano.pk, "kind": "account", "name": "Nano"},
            "reference": "",
            "external_id": receive.external_id,
        },
        "decided_at": None,
        "created_at": result["created_at"],
        "updated_at": result["updated_at"],
    }


def test_list_by_status(api, setup):
    portfolio, *_, proposed = setup
    accepted = Transfer.objects.get(status="accepted")

    newest_first = sorted([accepted.pk, proposed.pk], reverse=True)  # created together: by id
    assert [t["id"] for t in ok(api.get(url(portfolio)))] == newest_first
    assert [t["id"] for t in ok(api.get(url(portfolio), {"status": "proposed"}))] == [proposed.pk]
    assert [t["id"] for t in ok(api.get(url(portfolio), {"status": "accepted"}))] == [accepted.pk]
    assert ok(api.get(url(portfolio), {"status": "rejected"})) == []
    fail(
        api.get(url(portfolio), {"status": "maybe"}),
        422,
        "status 'maybe' is not one of proposed, accepted, rejected",
    )


def test_list_is_paged(api, setup):
    portfolio, *_ = setup
    body = api.get(url(portfolio), {"limit": 1}).json()
    assert len(body["result"]) == 1 and body["count"] == 2 and "offset=1" in body["next"]


def test_accept_through_the_api(api, setup):
    portfolio, coinbase, nano, send, receive, proposed = setup

    result = ok(api.post(url(portfolio, f"/{proposed.pk}/accept")))

    assert result["status"] == "accepted" and result["decided_at"] is not None
    assert (result["out_entry"]["kind"], result["in_entry"]["kind"]) == (
        "transfer_out",
        "transfer_in",
    )
    send.refresh_from_db()
    receive.refresh_from_db()
    assert (send.kind, receive.kind) == ("transfer_out", "transfer_in")
    assert WalletHolding.objects.get(wallet=nano, asset__code="btc").quantity == D("1.1995")
    row = ok(api.get(f"/api/portfolios/{portfolio.pk}/transactions/{send.pk}"))
    assert row["transfer"] == {"id": proposed.pk, "status": "accepted"}
    # accepting again changes nothing
    assert (
        ok(api.post(url(portfolio, f"/{proposed.pk}/accept")))["decided_at"] == result["decided_at"]
    )


def test_reject_through_the_api_is_final(api, setup):
    portfolio, coinbase, nano, send, receive, proposed = setup

    result = ok(api.post(url(portfolio, f"/{proposed.pk}/reject")))
    transfers_match(portfolio=portfolio)

    assert result["status"] == "rejected"
    assert Transfer.objects.filter(out_entry=send).count() == 1
    assert Transfer.objects.get(out_entry=send).status == "rejected"
    send.refresh_from_db()
    assert send.kind == "unclassified_out"


def test_rejecting_an_accepted_transfer_restores_the_unclassified_kinds(api, setup):
    portfolio, *_ = setup
    auto = Transfer.objects.get(status="accepted")
    assert (auto.out_entry.kind, auto.in_entry.kind) == ("transfer_out", "transfer_in")

    result = ok(api.post(url(portfolio, f"/{auto.pk}/reject")))

    assert (result["out_entry"]["kind"], result["in_entry"]["kind"]) == (
        "unclassified_out",
        "unclassified_in",
    )
    assert set(LedgerEntry.objects.filter(reference="tx-1").values_list("kind", flat=True)) == {
        "unclassified_out",
        "unclassified_in",
    }
    # and the same pair is not proposed again
    transfers_match(portfolio=portfolio)
    assert Transfer.objects.filter(out_entry=auto.out_entry).count() == 1


def test_accepting_a_rejected_transfer_later(api, setup):
    portfolio, *_, proposed = setup
    ok(api.post(url(portfolio, f"/{proposed.pk}/reject")))
    assert ok(api.post(url(portfolio, f"/{proposed.pk}/accept")))["status"] == "accepted"


def test_accepting_when_a_leg_was_reclassified_meanwhile_is_422(api, setup):
    portfolio, coinbase, nano, send, receive, proposed = setup
    ok(api.post(url(portfolio, f"/{proposed.pk}/reject")))
    ok(
        api.patch(
            f"/api/portfolios/{portfolio.pk}/transactions/{receive.pk}",
            {"kind": "buy"},
            format="json",
        )
    )

    fail(
        api.post(url(portfolio, f"/{proposed.pk}/accept")),
        422,
        f"entry {receive.pk} is now a buy row and cannot be a leg of a transfer",
    )


def test_unknown_transfer_is_404(api, setup):
    portfolio, *_ = setup
    fail(api.get(url(portfolio, "/999999")), 404)
    fail(api.post(url(portfolio, "/999999/accept")), 404)
    fail(api.post(url(portfolio, "/999999/reject")), 404)


def test_transfer_methods(api, setup):
    portfolio, *_, proposed = setup
    fail(api.get(url(portfolio, f"/{proposed.pk}/accept")), 405)
    fail(api.post(url(portfolio)), 405)
