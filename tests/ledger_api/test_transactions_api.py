"""The ledger API: rows listed, filtered and paged; re-classified and valued by hand; the
inventory; rows whose value is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry, Transfer, Wallet, WalletHolding
from ledger.transfers import transfer_accept, transfers_match
from portfolios.models import Portfolio
from tests.api.conftest import fail, invalid, ok
from tests.ledger_api.conftest import at, cur, make_entry, make_portfolio, make_wallet

D = Decimal
FORM = "application/x-www-form-urlencoded"


@dataclass
class Book:
    """Alice's ledger: a Coinbase import wallet and an address wallet."""

    portfolio: Portfolio
    coinbase: Wallet
    address: Wallet
    buy: LedgerEntry
    sell: LedgerEntry
    receive_eth: LedgerEntry
    send: LedgerEntry
    income: LedgerEntry
    deposit: LedgerEntry

    def url(self, path: str = "") -> str:
        return f"/api/portfolios/{self.portfolio.pk}/{path}"

    def entry_url(self, entry: LedgerEntry) -> str:
        return self.url(f"transactions/{entry.pk}")


@pytest.fixture
def book(portfolio) -> Book:
    coinbase = make_wallet(portfolio, "Coinbase")
    address = make_wallet(portfolio, "Cold wallet", kind=Wallet.ADDRESS)
    return Book(
        portfolio=portfolio,
        coinbase=coinbase,
        address=address,
        buy=make_entry(
            coinbase, "buy", "1", at(1), value="40000", tx_type="Buy", line=5, notes="first"
        ),
        sell=make_entry(
            coinbase,
            "sell",
            "0.25",
            at(5),
            value="11000",
            fee_asset=cur("usd"),
            fee_amount=D("10.5"),
            fee_value=D("10.5"),
            tx_type="Sell",
        ),
        receive_eth=make_entry(
            coinbase, "unclassified_in", "2", at(10), asset="eth", tx_type="Receive"
        ),
        send=make_entry(
            address, "unclassified_out", "0.5", at(15, 23, 59), value="21000", reference="ab" * 32
        ),
        income=make_entry(
            coinbase, "income", "10", at(20), asset="ltc", value="700", income_type="staking"
        ),
        deposit=make_entry(coinbase, "fiat_deposit", "1000", at(1, 9), asset="usd"),
    )


def ids(result) -> list[int]:
    return [row["id"] for row in result]


# --- list, filters, paging -------------------------------------------------------------------


def test_entry_shape(api, book):
    [row] = [r for r in ok(api.get(book.url("transactions"))) if r["id"] == book.sell.pk]

    assert row == {
        "id": book.sell.pk,
        "occurred_at": "2024-03-05T12:00:00+00:00",
        "kind": "sell",
        "income_type": None,
        "asset": {"code": "btc", "title": "Bitcoin"},
        "quantity": "0.25",
        "value": "11000.0",
        "value_currency": {"code": "usd", "title": "United States dollar"},
        "value_source": "file",
        "fee": {
            "asset": {"code": "usd", "title": "United States dollar"},
            "amount": "10.5",
            "value": "10.5",
        },
        "wallet": {"id": book.coinbase.pk, "kind": "import", "name": "Coinbase"},
        "external_id": book.sell.external_id,
        "reference": "",
        "pair_id": None,
        "transfer": None,
        "tx_type": "Sell",
        "notes": "",
        "line": None,
        "import_id": None,
        "user_modified": False,
        "pinned_lots": [],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    assert row["created_at"].endswith("+00:00")


def test_list_is_newest_first(api, book):
    assert ids(ok(api.get(book.url("transactions")))) == [
        book.income.pk,
        book.send.pk,
        book.receive_eth.pk,
        book.sell.pk,
        book.buy.pk,
        book.deposit.pk,
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("asset=btc", ["send", "sell", "buy"]),
        ("asset=BTC,eth", ["send", "receive_eth", "sell", "buy"]),
        ("kind=buy", ["buy"]),
        ("kind=unclassified_in,unclassified_out", ["send", "receive_eth"]),
        ("kind=income&asset=btc", []),
        ("from=2024-03-05&to=2024-03-15", ["send", "receive_eth", "sell"]),  # to: the whole day
        ("from=2024-03-05T12:00:01%2B00:00", ["income", "send", "receive_eth"]),
        (
            "from=2024-03-05T12:00:00+00:00",
            ["income", "send", "receive_eth", "sell"],
        ),  # "+" read as space
        ("to=2024-03-15T23:58:59Z", ["receive_eth", "sell", "buy", "deposit"]),
        ("to=2024-03-01T09:00:00", ["deposit"]),  # no offset: UTC
        ("from=2024-03-15T20:00:00-05:00", ["income"]),  # = 2024-03-16T01:00Z
        ("to=2024-02-29", []),
    ],
)
def test_filters(api, book, query, expected):
    result = ok(api.get(book.url("transactions") + "?" + query))
    assert ids(result) == [getattr(book, name).pk for name in expected]


def test_filter_by_wallet(api, book):
    assert ids(ok(api.get(book.url("transactions"), {"wallet": book.address.pk}))) == [book.send.pk]
    both = f"{book.address.pk},{book.coinbase.pk}"
    assert len(ok(api.get(book.url("transactions"), {"wallet": both}))) == 6


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (
            "kind=bogus",
            "kind 'bogus' is not a ledger kind; use one of buy, sell, trade_in, trade_out, income, spend, gift_in, gift_out, fee, transfer_in, transfer_out, unclassified_in, unclassified_out, fiat_deposit, fiat_withdrawal",
        ),
        ("asset=xyz", "unknown currency 'xyz'"),
        ("wallet=abc", "wallet 'abc' is not an id (a whole number)"),
        (
            "from=2024-13-01",
            "from '2024-13-01' is not an ISO 8601 date or date-time, for example 2024-03-31 or 2024-03-31T12:00:00+00:00",
        ),
        (
            "to=yesterday",
            "to 'yesterday' is not an ISO 8601 date or date-time, for example 2024-03-31 or 2024-03-31T12:00:00+00:00",
        ),
        ("from=2024-03-10&to=2024-03-09", "from must not be after to"),
        ("limit=0", "limit must be between 1 and 1000"),
        ("limit=1001", "limit must be between 1 and 1000"),
        ("offset=-1", "offset must not be negative"),
    ],
)
def test_bad_filters_are_422_with_a_sentence(api, book, query, problem):
    fail(api.get(book.url("transactions") + "?" + query), 422, problem)


def test_every_filter_problem_at_once(api, book):
    problems = invalid(api.get(book.url("transactions") + "?asset=xyz&wallet=x"))
    assert problems == ["unknown currency 'xyz'", "wallet 'x' is not an id (a whole number)"]


def test_paging(api, book):
    response = api.get(
        book.url("transactions"),
        {"limit": 4, "kind": "buy,sell,income,unclassified_in,unclassified_out,fiat_deposit"},
    )
    body = response.json()
    assert ids(body["result"]) == [book.income.pk, book.send.pk, book.receive_eth.pk, book.sell.pk]
    assert body["count"] == 6
    assert "offset=4" in body["next"] and "limit=4" in body["next"] and "kind=buy" in body["next"]

    second = api.get(body["next"]).json()
    assert ids(second["result"]) == [book.buy.pk, book.deposit.pk]
    assert (second["count"], second["next"]) == (6, None)


def test_default_page_is_100_rows(api, portfolio):
    wallet = make_wallet(portfolio)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            portfolio=portfolio,
            wallet=wallet,
            kind="buy",
            asset=cur("btc"),
            quantity=D("0.001"),
            occurred_at=at(1) + timedelta(minutes=i),
            external_id=f"bulk-{i}",
        )
        for i in range(150)
    )
    body = api.get(f"/api/portfolios/{portfolio.pk}/transactions").json()
    assert (len(body["result"]), body["count"]) == (100, 150)
    assert body["next"].endswith("limit=100&offset=100")


def test_list_query_count_does_not_grow_with_rows(api, book, django_assert_max_num_queries):
    transfers_match(portfolio=book.portfolio)
    # 8 for the page, plus the API throttle's counter when the cache is the database table
    # (without REDIS_URL, as here: a read and a write of one cache row).
    with django_assert_max_num_queries(11):
        ok(api.get(book.url("transactions")))


def test_one_entry(api, book):
    row = ok(api.get(book.entry_url(book.income)))
    assert (row["id"], row["kind"], row["income_type"], row["quantity"]) == (
        book.income.pk,
        "income",
        "staking",
        "10.0",
    )
    assert row["asset"] == {"code": "ltc", "title": "Litecoin"}


def test_entry_shows_its_transfer(api, book):
    receive = make_entry(
        make_wallet(book.portfolio, "Nano", Wallet.ACCOUNT), "unclassified_in", "0.5", at(16, 1)
    )
    transfers_match(portfolio=book.portfolio)
    transfer = Transfer.objects.get()

    assert ok(api.get(book.entry_url(book.send)))["transfer"] == {
        "id": transfer.pk,
        "status": "proposed",
    }
    assert ok(api.get(book.entry_url(receive)))["transfer"] == {
        "id": transfer.pk,
        "status": "proposed",
    }
    assert ok(api.get(book.entry_url(book.buy)))["transfer"] is None


# --- PATCH -------------------------------------------------------------------------------------


def test_reclassify_a_receive_as_a_purchase(api, book):
    row = ok(api.patch(book.entry_url(book.receive_eth), {"kind": "buy"}, format="json"))

    assert (row["kind"], row["user_modified"]) == ("buy", True)
    book.receive_eth.refresh_from_db()
    assert book.receive_eth.kind == "buy" and book.receive_eth.user_modified


def test_reclassify_as_income_with_its_type(api, book):
    row = ok(
        api.patch(
            book.entry_url(book.receive_eth),
            {"kind": "income", "income_type": "Staking"},
            format="json",
        )
    )
    assert (row["kind"], row["income_type"]) == ("income", "staking")

    # income without a type is "other"; leaving income clears the type
    row = ok(
        api.patch(book.entry_url(book.receive_eth), {"kind": "unclassified_in"}, format="json")
    )
    assert (row["kind"], row["income_type"]) == ("unclassified_in", None)
    row = ok(api.patch(book.entry_url(book.receive_eth), {"kind": "income"}, format="json"))
    assert row["income_type"] == "other"


def test_reclassify_recomputes_the_wallets_holdings(api, book):
    usd_in = make_entry(book.coinbase, "unclassified_in", "50", at(2), asset="usd")
    WalletHolding.objects.filter(wallet=book.coinbase).delete()

    ok(api.patch(book.entry_url(usd_in), {"kind": "fiat_deposit"}, format="json"))

    holdings = dict(
        WalletHolding.objects.filter(wallet=book.coinbase).values_list("asset__code", "quantity")
    )
    assert holdings == {"btc": D("0.75"), "eth": D("2"), "ltc": D("10")}  # cash left out


def test_manual_value(api, book):
    row = ok(
        api.patch(
            book.entry_url(book.receive_eth),
            {"value": "6543.21", "value_currency": "EUR"},
            format="json",
        )
    )
    assert (row["value"], row["value_currency"], row["value_source"], row["user_modified"]) == (
        "6543.21",
        {"code": "eur", "title": "Euro"},
        "manual",
        True,
    )
    # a value alone keeps the row's currency
    row = ok(api.patch(book.entry_url(book.receive_eth), {"value": 7000}, format="json"))
    assert (row["value"], row["value_currency"]) == ("7000.0", {"code": "eur", "title": "Euro"})
    # a client may write back the currency object it read
    row = ok(
        api.patch(
            book.entry_url(book.receive_eth),
            {"value": "7001", "value_currency": {"code": "usd", "title": "United States dollar"}},
            format="json",
        )
    )
    assert (row["value"], row["value_currency"]["code"]) == ("7001.0", "usd")
    # null clears it
    row = ok(api.patch(book.entry_url(book.receive_eth), {"value": None}, format="json"))
    assert (row["value"], row["value_currency"], row["value_source"]) == (None, None, "missing")


def test_patch_in_bracket_form(api, book):
    body = "kind=gift_in&value[]=12.5&value_currency=usd&notes=from+mum"
    row = ok(api.patch(book.entry_url(book.receive_eth), data=body, content_type=FORM))
    assert (row["kind"], row["value"], row["value_currency"]["code"], row["notes"]) == (
        "gift_in",
        "12.5",
        "usd",
        "from mum",
    )


def test_notes_only_still_marks_the_row(api, book):
    row = ok(api.patch(book.entry_url(book.buy), {"notes": ""}, format="json"))
    assert (row["notes"], row["user_modified"], row["kind"]) == ("", True, "buy")


@pytest.mark.parametrize(
    ("entry", "body", "problems"),
    [
        (
            "receive_eth",
            {"kind": "bogus"},
            [
                "unknown kind 'bogus'; use one of buy, sell, trade_in, trade_out, income, spend, gift_in, gift_out, fee, transfer_in, transfer_out, unclassified_in, unclassified_out, fiat_deposit, fiat_withdrawal"
            ],
        ),
        ("receive_eth", {"kind": "sell"}, ["kind 'sell' is outgoing but this row is incoming"]),
        ("send", {"kind": "buy"}, ["kind 'buy' is incoming but this row is outgoing"]),
        (
            "receive_eth",
            {"kind": "fiat_deposit"},
            ["kind 'fiat_deposit' is only for fiat currencies, not eth"],
        ),
        ("receive_eth", {"kind": ""}, ["kind must be text"]),
        ("buy", {"income_type": "staking"}, ["income_type applies to income rows only"]),
        (
            "income",
            {"income_type": "lottery"},
            [
                "unknown income_type 'lottery'; use one of staking, reward, interest, learning, referral, airdrop, other"
            ],
        ),
        ("receive_eth", {"value": "12", "value_currency": "xyz"}, ["unknown currency 'xyz'"]),
        (
            "receive_eth",
            {"value": "12", "value_currency": "btc"},
            ["value_currency must be a fiat currency, not 'btc'"],
        ),
        (
            "receive_eth",
            {"value": "12"},
            ['value_currency is required with value (for example "usd")'],
        ),
        (
            "receive_eth",
            {"value_currency": "usd"},
            ["value_currency can only be set together with value"],
        ),
        ("buy", {"value": "abc"}, ["value 'abc' is not a number"]),
        ("buy", {"value": "-5"}, ["value must not be negative"]),
        (
            "buy",
            {},
            [
                "nothing to change: send kind, income_type, value, value_currency, notes or pinned_lots"
            ],
        ),
        (
            "receive_eth",
            {"kind": "sell", "value": "1", "value_currency": "xyz"},
            ["kind 'sell' is outgoing but this row is incoming", "unknown currency 'xyz'"],
        ),
    ],
)
def test_patch_validation(api, book, entry, body, problems):
    row = getattr(book, entry)
    before = LedgerEntry.objects.filter(pk=row.pk).values().get()

    fail(api.patch(book.entry_url(row), body, format="json"), 422, *problems)

    assert LedgerEntry.objects.filter(pk=row.pk).values().get() == before


def test_row_of_an_accepted_transfer_cannot_be_reclassified(api, book):
    make_entry(
        make_wallet(book.portfolio, "Nano", Wallet.ACCOUNT), "unclassified_in", "0.5", at(16, 1)
    )
    transfers_match(portfolio=book.portfolio)
    transfer = transfer_accept(transfer=Transfer.objects.get())

    fail(
        api.patch(book.entry_url(book.send), {"kind": "spend"}, format="json"),
        422,
        f"this row is part of accepted transfer {transfer.pk}; reject the transfer before re-classifying the row",
    )


def test_reclassifying_a_leg_withdraws_its_proposal(api, book):
    make_entry(
        make_wallet(book.portfolio, "Nano", Wallet.ACCOUNT), "unclassified_in", "0.5", at(16, 1)
    )
    transfers_match(portfolio=book.portfolio)

    ok(api.patch(book.entry_url(book.send), {"kind": "spend"}, format="json"))

    assert not Transfer.objects.exists()


def test_reclassifying_as_a_transfer_runs_matching(api, book):
    receive = make_entry(
        make_wallet(book.portfolio, "Nano", Wallet.ACCOUNT), "buy", "0.25", at(5, 13)
    )
    ok(api.patch(book.entry_url(receive), {"kind": "transfer_in"}, format="json"))
    # a sell is no send: nothing to match; a matching send appears once the sell is a transfer
    assert not Transfer.objects.exists()
    ok(api.patch(book.entry_url(book.sell), {"kind": "transfer_out"}, format="json"))
    assert Transfer.objects.get().in_entry_id == receive.pk


def test_patch_rebuilds_the_cost_basis_when_it_matters(
    api, book, django_capture_on_commit_callbacks
):
    from costbasis.models import CostBasisBuild

    with django_capture_on_commit_callbacks(execute=True):
        ok(api.patch(book.entry_url(book.buy), {"notes": "only notes"}, format="json"))
    assert not CostBasisBuild.objects.filter(portfolio=book.portfolio).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ok(api.patch(book.entry_url(book.receive_eth), {"kind": "buy"}, format="json"))
    assert CostBasisBuild.objects.get(portfolio=book.portfolio).status == "ok"


# --- pinned lots -----------------------------------------------------------------------------


def test_pinned_lots_are_stored(api, book):
    second_buy = make_entry(book.coinbase, "buy", "0.5", at(2), value="20000")
    body = {"pinned_lots": [[book.buy.pk, "0.1"], [second_buy.pk, 0.15]]}

    row = ok(api.patch(book.entry_url(book.sell), body, format="json"))

    assert row["pinned_lots"] == [[book.buy.pk, "0.1"], [second_buy.pk, "0.15"]]
    book.sell.refresh_from_db()
    assert book.sell.pinned_lots == [[book.buy.pk, "0.1"], [second_buy.pk, "0.15"]]
    # an empty list clears them
    assert (
        ok(api.patch(book.entry_url(book.sell), {"pinned_lots": []}, format="json"))["pinned_lots"]
        == []
    )


def test_pinned_lots_in_bracket_form(api, book):
    body = f"pinned_lots[][entry]={book.buy.pk}&pinned_lots[][quantity]=0.25"
    row = ok(api.patch(book.entry_url(book.sell), data=body, content_type=FORM))
    assert row["pinned_lots"] == [[book.buy.pk, "0.25"]]


def test_pinned_lots_validation(api, book, bob):
    bobs = make_entry(make_wallet(make_portfolio(bob, "Bob's")), "buy", "1", at(1))
    later = make_entry(book.coinbase, "buy", "1", at(6))
    cases = [
        (
            [[book.receive_eth.pk, "0.1"]],
            [f"pinned_lots[0]: entry {book.receive_eth.pk} is not btc"],
        ),
        (
            [[book.send.pk, "0.1"]],
            [
                f"pinned_lots[0]: entry {book.send.pk} is not an acquisition (it is unclassified_out)"
            ],
        ),
        ([[bobs.pk, "0.1"]], [f"pinned_lots[0]: no entry {bobs.pk} in this portfolio"]),
        ([[later.pk, "0.1"]], [f"pinned_lots[0]: entry {later.pk} was acquired after this row"]),
        ([[book.buy.pk, "0"]], ["pinned_lots[0]: quantity must be more than 0"]),
        (
            [[book.buy.pk, "0.2"], [book.buy.pk, "0.01"]],
            [f"pinned_lots[1]: entry {book.buy.pk} is pinned twice"],
        ),
        (
            [[book.buy.pk, "0.3"]],
            ["pinned_lots add up to 0.3, more than this row's quantity (0.25)"],
        ),
        ([["x", "0.3"]], ["pinned_lots[0]: entry id 'x' is not a whole number"]),
        ([[book.buy.pk, "lots"]], ["pinned_lots[0] quantity 'lots' is not a number"]),
        ([[book.buy.pk]], ["pinned_lots[0] must be a pair [entry id, quantity]"]),
    ]
    for pins, problems in cases:
        fail(
            api.patch(book.entry_url(book.sell), {"pinned_lots": pins}, format="json"),
            422,
            *problems,
        )
    fail(
        api.patch(book.entry_url(book.buy), {"pinned_lots": [[book.buy.pk, "0.1"]]}, format="json"),
        422,
        "pinned_lots apply to outgoing rows only",
    )
    big = make_entry(book.coinbase, "sell", "5", at(7))
    fail(
        api.patch(book.entry_url(big), {"pinned_lots": [[book.buy.pk, "2"]]}, format="json"),
        422,
        f"pinned_lots[0]: quantity 2.0 is more than entry {book.buy.pk} acquired (1.0)",
    )
    book.sell.refresh_from_db()
    assert book.sell.pinned_lots == [] and not book.sell.user_modified


# --- inventory and missing values --------------------------------------------------------------


def test_inventory(api, book):
    # Given, besides the book: buys of 0.1 and 0.2 BTC (exact sums: not 0.30000000000000004),
    # both valued in EUR, a fee recorded as such, and an accepted transfer between two wallets;
    # neither the fee, the transfer, the LTC income nor the USD deposit is a purchase or sale
    make_entry(book.coinbase, "buy", "0.1", at(3), value="3000.1", value_currency="eur")
    make_entry(book.coinbase, "buy", "0.2", at(3, 13), value="6000.2", value_currency="eur")
    make_entry(book.coinbase, "fee", "0.0001", at(3, 14))
    out = make_entry(book.coinbase, "transfer_out", "0.3", at(4))
    make_entry(make_wallet(book.portfolio, "Nano", Wallet.ACCOUNT), "transfer_in", "0.3", at(4, 13))
    transfers_match(portfolio=book.portfolio)
    transfer_accept(transfer=Transfer.objects.get(out_entry=out))

    result = ok(api.get(book.url("inventory")))

    for row in result:
        assert row.pop("balance_at").endswith("+00:00")
    assert result == [
        {
            "currency": {"code": "btc", "title": "Bitcoin"},
            # buys 1 + 0.1 + 0.2; the sale of 0.25 and the unclassified send of 0.5
            "balance": "0.55",
            "source": "calculated",  # the Coinbase and the address wallets
            "acquired": "1.3",
            "disposed": "0.75",
            "unclassified_in": "0.0",
            "unclassified_out": "0.5",
            "rows": 5,
            "missing_values": 0,
            "values": [
                {
                    "currency": {"code": "eur", "title": "Euro"},
                    "acquired": "9000.3",
                    "disposed": "0.0",
                },
                {
                    "currency": {"code": "usd", "title": "United States dollar"},
                    "acquired": "40000.0",
                    "disposed": "32000.0",
                },
            ],
        },
        {
            "currency": {"code": "eth", "title": "Ethereum"},
            "balance": "2.0",  # an unclassified receive counts as a purchase
            "source": "Coinbase",
            "acquired": "2.0",
            "disposed": "0.0",
            "unclassified_in": "2.0",
            "unclassified_out": "0.0",
            "rows": 1,
            "missing_values": 1,
            "values": [],
        },
        {
            "currency": {"code": "usd", "title": "United States dollar"},
            "balance": "0.0",  # a reporting currency: listed with nothing counted
            "source": "calculated",
            "acquired": "0.0",
            "disposed": "0.0",
            "unclassified_in": "0.0",
            "unclassified_out": "0.0",
            "rows": 0,
            "missing_values": 0,
            "values": [],
        },
    ]


def test_inventory_of_an_empty_ledger_lists_the_reporting_currencies(api, portfolio):
    rows = ok(api.get(f"/api/portfolios/{portfolio.pk}/inventory"))
    assert [(r["currency"], r["balance"], r["source"]) for r in rows] == [
        ({"code": "btc", "title": "Bitcoin"}, "0.0", "calculated"),
        ({"code": "usd", "title": "United States dollar"}, "0.0", "calculated"),
    ]


def test_missing_values(api, book):
    no_value_fee = make_entry(book.address, "fee", "0.0001", at(16))
    body = api.get(book.url("transactions/missing-values")).json()
    # the USD deposit has no value either, but cash is its own value
    assert ids(body["result"]) == [no_value_fee.pk, book.receive_eth.pk]
    assert (body["count"], body["next"]) == (2, None)

    # fixing one removes it from the list
    ok(
        api.patch(
            book.entry_url(book.receive_eth),
            {"value": "6000", "value_currency": "usd"},
            format="json",
        )
    )
    assert ids(ok(api.get(book.url("transactions/missing-values")))) == [no_value_fee.pk]


def test_missing_values_filtered_and_paged(api, book):
    make_entry(book.address, "fee", "0.0001", at(16))
    body = api.get(book.url("transactions/missing-values"), {"asset": "eth", "limit": 1}).json()
    assert (ids(body["result"]), body["count"], body["next"]) == ([book.receive_eth.pk], 1, None)
    body = api.get(book.url("transactions/missing-values"), {"limit": 1}).json()
    assert body["count"] == 2 and "offset=1" in body["next"]


def test_unknown_entry_is_404(api, book):
    fail(api.get(book.url("transactions/999999")), 404)
    fail(api.patch(book.url("transactions/999999"), {"kind": "buy"}, format="json"), 404)


def test_entry_of_another_portfolio_of_the_same_user_is_404(api, alice, book):
    other = make_portfolio(alice, "Second")
    fail(api.get(f"/api/portfolios/{other.pk}/transactions/{book.buy.pk}"), 404)


def test_list_methods(api, book):
    fail(api.post(book.url("transactions"), {"kind": "buy"}, format="json"), 405)
    fail(api.delete(book.entry_url(book.buy)), 405)
