"""The shipped currency list and its loader (pure Python, no database)."""

import json

import pytest

from currencies.data_file import DATA_FILE, CurrencyRecord, load_currency_records

# Crypto or token rows allowed to have no CoinGecko id (none today). Add a code here, with a
# reason, only when CoinGecko really does not list the asset.
COINGECKO_ID_MAY_BE_NULL: frozenset[str] = frozenset()

# ISO 4217 codes that are funds, metals, units of account, testing codes or withdrawn: a
# portfolio never holds them as money, so the list must not offer them.
NOT_CURRENCIES = {
    "xau", "xag", "xpt", "xpd", "xts", "xxx", "xdr", "xsu", "xua", "xad",
    "xba", "xbb", "xbc", "xbd", "bov", "che", "chw", "clf", "cou", "mxv",
    "usn", "uyi", "uyw",
    "hrk", "sll", "vef", "mro", "std", "cuc", "zwl", "ang", "ltl", "lvl", "eek",
}  # fmt: skip


@pytest.fixture(scope="module")
def records() -> list[CurrencyRecord]:
    return load_currency_records()


@pytest.fixture(scope="module")
def by_code(records) -> dict[str, CurrencyRecord]:
    return {r.code: r for r in records}


def test_default_path_is_the_shipped_file():
    assert DATA_FILE.name == "currencies.json"
    assert load_currency_records() == load_currency_records(DATA_FILE)


@pytest.mark.parametrize(
    ("code", "title", "kind"),
    [
        ("btc", "Bitcoin", "crypto"),
        ("ltc", "Litecoin", "crypto"),
        ("eth", "Ethereum", "crypto"),
        ("usd", "United States dollar", "fiat"),
        ("nzd", "New Zealand dollar", "fiat"),
        ("eur", "Euro", "fiat"),
        ("aud", "Australian dollar", "fiat"),
        ("gbp", "Pound sterling", "fiat"),
        ("jpy", "Japanese yen", "fiat"),
        ("cad", "Canadian dollar", "fiat"),
        ("chf", "Swiss franc", "fiat"),
        ("rep", "Augur", "token"),
    ],
)
def test_required_rows(by_code, code, title, kind):
    record = by_code[code]
    assert record.title == title
    assert record.kind == kind


def test_augur_contract(by_code):
    rep = by_code["rep"]
    # an ERC-20 token is not a cryptocurrency (a chain's native coin) in the API's sense
    assert rep.is_ethereum_token and not rep.is_cryptocurrency and not rep.is_fiat
    assert rep.ethereum_contract_address == "0x1985365e9f78359a9b6ad760e32412f4a445e862"


@pytest.mark.parametrize(
    ("code", "decimals", "coingecko_id"),
    [
        ("btc", 8, "bitcoin"),
        ("ltc", 8, "litecoin"),
        ("eth", 18, "ethereum"),
        ("eth2", 18, "ethereum"),
        ("doge", 8, "dogecoin"),
        ("sol", 9, "solana"),
        ("xlm", 7, "stellar"),
        ("algo", 6, "algorand"),
        ("near", 24, "near"),
    ],
)
def test_crypto_precision_and_price_id(by_code, code, decimals, coingecko_id):
    record = by_code[code]
    assert record.kind == "crypto"
    assert record.is_cryptocurrency and not record.is_fiat and not record.is_ethereum_token
    assert record.decimals == decimals
    assert record.coingecko_id == coingecko_id
    assert record.ethereum_contract_address is None


@pytest.mark.parametrize(
    ("code", "contract", "decimals", "coingecko_id"),
    [
        ("usdt", "0xdac17f958d2ee523a2206206994597c13d831ec7", 6, "tether"),
        ("usdc", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 6, "usd-coin"),
        ("dai", "0x6b175474e89094c44da98b954eedeac495271d0f", 18, "dai"),
        ("link", "0x514910771af9ca656af840dff83e8264ecf986ca", 18, "chainlink"),
        ("uni", "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", 18, "uniswap"),
        ("grt", "0xc944e90c64b2c07662a292be6244bdf05cda44a7", 18, "the-graph"),
        ("matic", "0x7d1afa7b718fb893db30a3abc0cfc608aacfebb0", 18, "matic-network"),
        ("wbtc", "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", 8, "wrapped-bitcoin"),
    ],
)
def test_known_tokens(by_code, code, contract, decimals, coingecko_id):
    record = by_code[code]
    assert record.kind == "token"
    assert record.ethereum_contract_address == contract
    assert record.decimals == decimals
    assert record.coingecko_id == coingecko_id


def test_codes_unique_lowercase_and_sorted(records):
    codes = [r.code for r in records]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() for code in codes)
    assert codes == sorted(codes)


def test_file_is_pretty_printed_one_object_per_line():
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert len(lines) == len(json.loads(DATA_FILE.read_text(encoding="utf-8"))) + 2


def test_fiat_rows(records):
    fiat = [r for r in records if r.is_fiat]
    assert len(fiat) >= 150
    for record in fiat:
        assert len(record.code) == 3 and record.code.isalpha(), record
        assert record.coingecko_id is None, record
        assert record.ethereum_contract_address is None, record
        assert not record.is_cryptocurrency and not record.is_ethereum_token
        assert 0 <= record.decimals <= 3, record


@pytest.mark.parametrize(
    ("code", "minor_units"),
    [
        ("jpy", 0),
        ("krw", 0),
        ("isk", 0),
        ("clp", 0),
        ("kwd", 3),
        ("bhd", 3),
        ("usd", 2),
        ("eur", 2),
    ],
)
def test_iso_minor_units(by_code, code, minor_units):
    assert by_code[code].decimals == minor_units


def test_current_iso_codes_replace_withdrawn_ones(by_code):
    for code in ("sle", "ves", "mru", "stn", "zwg", "xcg", "byn"):
        assert by_code[code].is_fiat, code
    assert NOT_CURRENCIES.isdisjoint(by_code)


def test_tokens_have_unique_contracts(records):
    tokens = [r for r in records if r.is_ethereum_token]
    assert tokens
    contracts = [r.ethereum_contract_address for r in tokens]
    assert all(c and c.startswith("0x") and len(c) == 42 and c == c.lower() for c in contracts)
    assert len(contracts) == len(set(contracts))
    others = [r for r in records if not r.is_ethereum_token]
    assert all(r.ethereum_contract_address is None for r in others)


def test_every_crypto_and_token_has_a_coingecko_id(records):
    missing = {r.code for r in records if not r.is_fiat and r.coingecko_id is None}
    assert missing <= COINGECKO_ID_MAY_BE_NULL


# --- validation ---------------------------------------------------------------------------

GOOD = {
    "code": "btc",
    "title": "Bitcoin",
    "kind": "crypto",
    "decimals": 8,
    "coingecko_id": "bitcoin",
    "ethereum_contract_address": None,
}


def _write(tmp_path, entries):
    path = tmp_path / "currencies.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_loads_a_minimal_file(tmp_path):
    assert load_currency_records(_write(tmp_path, [GOOD])) == [CurrencyRecord(**GOOD)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "BTC"}, "code"),
        ({"kind": "coin"}, "kind"),
        ({"decimals": -1}, "decimals"),
        ({"decimals": 25}, "decimals"),
        ({"decimals": True}, "decimals"),
        ({"decimals": "8"}, "decimals"),
        ({"title": ""}, "title"),
        ({"coingecko_id": "Bitcoin"}, "coingecko_id"),
        ({"ethereum_contract_address": "0x" + "ab" * 20}, "only tokens"),
        ({"kind": "token"}, "ethereum_contract_address"),
        ({"kind": "token", "ethereum_contract_address": "0x" + "AB" * 20}, "lower-case hex"),
        ({"kind": "token", "ethereum_contract_address": "0x" + "ab" * 19}, "lower-case hex"),
        ({"kind": "fiat", "coingecko_id": None, "code": "usdx"}, "three letters"),
        ({"kind": "fiat", "code": "usd"}, "coingecko_id must be null"),
        ({"extra": 1}, "unexpected"),
    ],
)
def test_rejects_bad_entry_naming_it(tmp_path, change, message):
    bad = {**GOOD, **change}
    path = _write(tmp_path, [bad])
    with pytest.raises(ValueError, match=message) as excinfo:
        load_currency_records(path)
    assert "entry 0" in str(excinfo.value)


def test_rejects_missing_key(tmp_path):
    entry = dict(GOOD)
    del entry["title"]
    with pytest.raises(ValueError, match=r"entry 0 \('btc'\).*missing \['title'\]"):
        load_currency_records(_write(tmp_path, [entry]))


def test_rejects_duplicate_code(tmp_path):
    with pytest.raises(ValueError, match=r"entry 1 \('btc'\): duplicate code"):
        load_currency_records(_write(tmp_path, [GOOD, GOOD]))


def test_rejects_unsorted(tmp_path):
    ltc = {**GOOD, "code": "ltc", "title": "Litecoin", "coingecko_id": "litecoin"}
    with pytest.raises(ValueError, match=r"entry 1 \('btc'\): not sorted"):
        load_currency_records(_write(tmp_path, [ltc, GOOD]))


def test_rejects_duplicate_contract(tmp_path):
    address = "0x" + "ab" * 20
    a = {**GOOD, "code": "aaa", "kind": "token", "ethereum_contract_address": address}
    b = {**a, "code": "bbb"}
    with pytest.raises(ValueError, match=r"entry 1 \('bbb'\).*already used by 'aaa'"):
        load_currency_records(_write(tmp_path, [a, b]))


@pytest.mark.parametrize("content", ["{}", "not json", '["btc"]'])
def test_rejects_malformed_file(tmp_path, content):
    path = tmp_path / "currencies.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_currency_records(path)
