"""Sample statements of every variant imported through the API: the Coinbase wallet holds
exactly the parser tests' hand-computed holdings, and each row carries what the file says."""

from __future__ import annotations

from decimal import Decimal

import pytest

from currencies.models import Currency
from ingest.coinbase import FIAT_CODES
from ledger.models import Import, LedgerEntry, Wallet
from prices.models import Price
from tests.ingest.conftest import V4_HEAD, counts, fail, holdings, ok, statement, upload
from tests.ingest.test_coinbase_parser import EXPECTED

D = Decimal


def crypto(expected: dict[str, Decimal]) -> dict[str, Decimal]:
    """Wallet holdings leave fiat cash out (deposits and withdrawals are not crypto lots)."""
    return {code: qty for code, qty in expected.items() if code not in FIAT_CODES}


SQLITE_SAFE = sorted(name for name in EXPECTED if name != "v4.csv")


@pytest.mark.parametrize("name", SQLITE_SAFE)
def test_every_variant_gives_the_hand_computed_holdings(api, portfolio, name):
    variant, _, expected = EXPECTED[name]

    result = ok(upload(api, portfolio, statement(name), name=name), 201)

    assert result["variant"] == variant
    assert result["rows_added"] == result["rows_read"] > 0
    assert result["rows_duplicate"] == 0
    assert holdings(portfolio) == crypto(expected)
    entries = LedgerEntry.objects.filter(portfolio=portfolio)
    assert entries.count() == result["rows_added"]
    assert set(entries.values_list("source_import_id", flat=True)) == {result["id"]}
    wallet = Wallet.objects.get(portfolio=portfolio)
    assert (wallet.kind, wallet.name) == (Wallet.IMPORT, "Coinbase")


def test_v4_exact_on_postgresql(api, portfolio, postgres):
    """The ZETACHAIN row has 17 significant digits: PostgreSQL stores it exactly."""
    ok(upload(api, portfolio, statement("v4.csv"), name="v4.csv"), 201)

    assert holdings(portfolio) == crypto(EXPECTED["v4.csv"][2])
    zeta = LedgerEntry.objects.get(asset__code="zetachain")
    assert zeta.quantity == D("2.8530670470756063")
    assert (zeta.value, zeta.value_source) == (D("0.92677"), "file")
    # The file's price has 21 significant digits: the price store keeps 15 (as on SQLite).
    price = Price.objects.get(base__code="zetachain")
    assert price.price == D("0.324832317279927")


def test_v4_on_sqlite_is_refused_at_the_line_it_cannot_store(api, portfolio, sqlite):
    before = counts()

    body = fail(upload(api, portfolio, statement("v4.csv")), 422)

    assert body["invalid"][0].startswith("line 5: quantity '2.8530670470756063' has more")
    assert counts() == before


def test_v4_without_its_long_row_on_any_database(api, portfolio):
    lines = statement("v4.csv").decode("utf-8-sig").splitlines(keepends=True)
    assert "ZETACHAIN" in lines[4]
    expected = crypto(EXPECTED["v4.csv"][2])
    del expected["zetachain"]

    result = ok(upload(api, portfolio, "".join(lines[:4] + lines[5:])), 201)

    assert holdings(portfolio) == expected
    # The file's 25 data rows less the one taken out; two Converts and two crypto-for-crypto
    # Advanced Trades are two ledger rows each: 24 + 4
    assert (result["file_rows"], result["rows_read"]) == (24, 28)
    assert result["new_currencies"] == []
    assert result["warnings"] == []


def test_rows_carry_kind_values_fees_and_links(api, portfolio):
    ok(upload(api, portfolio, statement("v5.csv")), 201)
    entries = {e.external_id: e for e in LedgerEntry.objects.select_related("asset", "fee_asset")}

    buy = entries["683c16905feef572bb7cd733"]
    assert (buy.kind, buy.asset.code, buy.quantity, buy.tx_type) == ("buy", "sol", D("1.5"), "Buy")
    assert (buy.value, buy.value_currency.code, buy.value_source) == (D("225.00"), "usd", "file")
    assert (buy.fee_asset.code, buy.fee_amount, buy.fee_value) == ("usd", D("3.38"), D("3.38"))
    assert buy.line == 14 and buy.notes == "Bought 1.5 SOL for 228.38 USD"

    receive = entries["68483f8dcc2b48625c01ac60"]
    assert receive.counterparty == "bc1q9h7garjc3tqsmfrqu7gqkmdnldjxw4qr4w7xay"
    send = entries["688d07a8cf5cd375d70c10ba"]
    assert send.counterparty == "0x52908400098527886E0F7030069857D2E4169EE7"

    staking = entries["68dc6f0014f0edebc7c4259a"]
    assert (staking.kind, staking.income_type) == ("income", "staking")

    # The two legs of a convert and of a migration point at each other.
    out, into = entries["6863cdc0d3699906c3cf9ac3:out"], entries["6863cdc0d3699906c3cf9ac3:in"]
    assert (out.kind, out.asset.code, into.kind, into.asset.code) == (
        "trade_out",
        "btc",
        "trade_in",
        "eth",
    )
    assert out.pair_id == into.pk and into.pair_id == out.pk
    matic, pol = entries["6905be007f9f47f95e00d9a9"], entries["6905be003a0a7dd04f36bcee"]
    assert matic.pair_id == pol.pk and pol.pair_id == matic.pk
    assert matic.migration and pol.migration
    assert LedgerEntry.objects.filter(pair__isnull=False).count() == 4


def test_codes_stay_as_written_and_unknown_ones_become_cryptocurrencies(api, portfolio):
    text = statement("v1_eur.csv").decode() + (
        "2021-06-01T10:00:00Z,Coinbase Earn,NEWCOIN,3.5,90.00,1.00,1.00,0.00,"
        "Received 3.5 NEWCOIN from Coinbase Earn\n"
    )
    assert not Currency.objects.filter(code="newcoin").exists()

    result = ok(upload(api, portfolio, text), 201)

    assert result["new_currencies"] == ["newcoin"]
    # a new code is named as stored: its title is the code in capitals until an operator
    # gives it a better one
    assert {"type": "Coinbase Earn", "currency": {"code": "newcoin", "title": "NEWCOIN"}} in [
        {"type": r["type"], "currency": r["currency"]} for r in result["rows_by_type"]
    ]
    newcoin = Currency.objects.get(code="newcoin")
    assert newcoin.is_cryptocurrency and not newcoin.is_fiat
    assert newcoin.source == "coinbase-statement"
    held = holdings(portfolio)
    assert held["eth2"] == D("0.17317536") and held["eth"] == D("0.29207154")  # distinct
    assert held["newcoin"] == D("3.5")


def test_the_answer_describes_the_import(api, portfolio, alice):
    result = ok(upload(api, portfolio, statement("v5.csv"), name="my statement.csv"), 201)

    imp = Import.objects.get()
    assert result["id"] == imp.pk and result["dry_run"] is False
    assert result["wallet"] == {"id": imp.wallet_id, "name": "Coinbase"}
    assert result["file_name"] == "my statement.csv"
    assert result["user"] == alice.email == imp.user.email
    import hashlib

    assert result["file_sha256"] == hashlib.sha256(statement("v5.csv")).hexdigest()
    assert (result["rows_read"], result["rows_added"], result["rows_duplicate"]) == (11, 11, 0)
    assert result["first_at"] == "2025-05-01T09:00:00+00:00"
    assert result["last_at"] == "2026-01-10T15:00:00+00:00"
    btc = {"code": "btc", "title": "Bitcoin"}
    assert {"type": "Convert", "currency": btc, "rows": 1, "added": 1} in result["rows_by_type"]
    assert [(r["currency"]["code"], r["change"]) for r in result["holdings_change"]] == [
        ("btc", "0.041"),
        ("eth", "0.28"),
        ("matic", "0.0"),
        ("pol", "100.0"),
        ("sol", "-0.49"),
    ]
    assert result["holdings_change"][-1]["currency"] == {"code": "sol", "title": "Solana"}
    assert result["values"] == {"file": 11, "price-store": 0, "missing": 0}
    assert result["prices_observed"] == 11


def test_balances_include_the_imported_holdings(api, portfolio):
    ok(upload(api, portfolio, statement("l2_tax_report.csv")), 201)

    rows = ok(api.get(f"/api/portfolios/{portfolio.pk}/balances"))

    by_code = {row["currency"]["code"]: row for row in rows}
    assert by_code["btc"]["balance"] == "0.25" and by_code["btc"]["source"] == "Coinbase"
    assert by_code["eth"]["balance"] == "5.0"
    assert by_code["usd"]["balance"] == "0.0"  # the reporting currency, held nowhere


def test_an_other_wallet_by_name_and_by_id(api, portfolio):
    first = ok(upload(api, portfolio, statement("l1_buys_sells.csv"), wallet="Coinbase Pro"), 201)
    wallet_id = first["wallet"]["id"]
    assert first["wallet"]["name"] == "Coinbase Pro"

    again = ok(upload(api, portfolio, statement("l2_tax_report.csv"), wallet=wallet_id), 201)

    assert again["wallet"]["id"] == wallet_id
    assert holdings(portfolio, "Coinbase Pro") == {"btc": D("0.7"), "eth": D("5")}
    assert not Wallet.objects.filter(name="Coinbase").exists()
    body = fail(upload(api, portfolio, statement("l1_buys_sells.csv"), wallet=999999), 422)
    assert body["invalid"] == ["unknown wallet '999999'"]


CONVERTS = "".join(
    f"66a1{n:020x},2024-07-01 10:00:{n:02d} UTC,Convert,ETH,-0.1,USD,$3000,-$300.00,-$300.00,"
    f"$0.00,Converted 0.1 ETH to 300 USDC\n"
    for n in range(7)
)


@pytest.mark.parametrize("batch", [1, 2, 3, 2000])
def test_pair_links_across_batch_boundaries(api, portfolio, monkeypatch, batch):
    monkeypatch.setattr("ingest.services.BATCH_SIZE", batch)

    v5_converts = "".join(line + ",,\n" for line in CONVERTS.splitlines())
    ok(upload(api, portfolio, statement("v5.csv") + v5_converts.encode()), 201)

    legs = LedgerEntry.objects.exclude(pair_key="")
    assert legs.count() == 4 + 14
    for leg in legs.select_related("pair"):
        assert leg.pair.pair_id == leg.pk and leg.pair.pair_key == leg.pair_key
        assert (leg.kind == "trade_in") == (leg.pair.kind == "trade_out") or leg.migration


def test_a_leg_whose_partner_is_already_stored_is_linked_to_it(api, portfolio):
    # Given the ETH leg of a convert already in the wallet (from some earlier source)
    wallet = Wallet.objects.create(portfolio=portfolio, kind=Wallet.IMPORT, name="Coinbase")
    ident = "66a1" + f"{0:020x}"
    earlier = LedgerEntry.objects.create(
        portfolio=portfolio,
        wallet=wallet,
        occurred_at="2024-07-01T10:00:00Z",
        kind="trade_out",
        asset=Currency.objects.get(code="eth"),
        quantity=D("0.1"),
        external_id=f"{ident}:out",
        pair_key=ident,
    )

    result = ok(upload(api, portfolio, V4_HEAD + CONVERTS.splitlines(keepends=True)[0]), 201)

    assert (result["rows_added"], result["rows_duplicate"]) == (1, 1)
    new = LedgerEntry.objects.get(external_id=f"{ident}:in")
    earlier.refresh_from_db()
    assert new.pair_id == earlier.pk and earlier.pair_id == new.pk
