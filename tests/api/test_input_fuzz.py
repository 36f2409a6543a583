"""A bounded fuzz run of the write routes (portfolios, addresses, offsets): random JSON, form and
multipart bodies full of odd text (NULs, lone surrogates, digits of other scripts, very long
values, deep nesting) never get a 5xx, every answer is the JSON envelope, and a refused request
stores nothing (issue 11, "Done means"). ``FUZZ_EXAMPLES`` raises the number of examples per
route and encoding (default 40, kept small for CI)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import BTC_ADDRESS
from tests.api.test_hostile_inputs import stored

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that has broken something somewhere: storage, rendering, number parsing, lookups.
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "btc\x00",
        "\ud800",
        "a\udfffb",
        "\ufeff",
        "١٢",
        "１２",
        "1e999",
        "-1e-999",
        "NaN",
        "Infinity",
        "-0",
        "9" * 400,
        "0." + "0" * 40 + "1",
        "x" * 101,
        "y" * 20_000,
        "'; DROP TABLE portfolios_portfolio; --",
        "<script>alert(1)</script>",
        "💰",
        "BTC",
        "usd",
        "ltc",
        BTC_ADDRESS,
    ]
)
TEXT = st.one_of(ODD, st.text(st.characters(exclude_categories=()), max_size=30))
SCALAR = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
)
ANY = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
CURRENCY = st.one_of(st.sampled_from(["btc", "usd", "ltc", "eth"]), TEXT, ANY)
BALANCE = st.fixed_dictionaries(
    {}, optional={"currency": CURRENCY, "balance": st.one_of(TEXT, SCALAR, ANY)}
)

BODIES = {
    "portfolios": st.fixed_dictionaries(
        {}, optional={"title": st.one_of(TEXT, ANY), "currencies": st.lists(CURRENCY, max_size=4)}
    ),
    "addresses": st.fixed_dictionaries(
        {},
        optional={
            "title": st.one_of(TEXT, ANY),
            "address": st.one_of(TEXT, ANY),
            "currency": CURRENCY,
        },
    ),
    "offsets": st.fixed_dictionaries(
        {},
        optional={
            "title": st.one_of(TEXT, ANY),
            "balances": st.one_of(st.lists(BALANCE, max_size=4), ANY),
        },
    ),
}
# A body is sometimes a known shape with odd values, sometimes anything at all.
RANDOM_BODY = st.one_of(st.dictionaries(TEXT, ANY, max_size=4), ANY)


def _pairs(value: Any, prefix: str) -> list[tuple[str, str]]:
    """Bracket-notation pairs for a value, as a Rails-style client writes them."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _pairs(item, f"{prefix}[{key}]")]
    if isinstance(value, list):
        out: list[tuple[str, str]] = []
        for item in value:
            out.extend(_pairs(item, f"{prefix}[]"))
        return out
    return [(prefix, "" if value is None else str(value))]


def _form_body(data: Any) -> str:
    """x-www-form-urlencoded; text a browser could not encode (a lone surrogate) goes as the
    bytes a careless client would send."""
    items = data.items() if isinstance(data, dict) else [("body", data)]
    pairs = [p for key, value in items for p in _pairs(value, str(key))]

    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="[]")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


def send(client, method: str, url: str, data: Any, encoding: str):
    if encoding == "json":
        body = json.dumps(data)  # ASCII: a lone surrogate goes as its \\u escape
        return client.generic(method, url, body, content_type="application/json")
    if encoding == "form":
        return client.generic(
            method, url, _form_body(data), content_type="application/x-www-form-urlencoded"
        )
    pairs = dict(_pairs(data, "body")) if not isinstance(data, dict) else {}
    if isinstance(data, dict):
        for key, value in data.items():
            pairs.update(_pairs(value, str(key)))
    safe = {
        k.encode("utf-8", "replace").decode(): v.encode("utf-8", "replace").decode()
        for k, v in pairs.items()
    }
    return client.generic(
        method,
        url,
        _multipart(safe),
        content_type="multipart/form-data; boundary=fuzzboundary",
    )


def _multipart(fields: dict[str, str]) -> str:
    parts = [
        f'--fuzzboundary\r\nContent-Disposition: form-data; name="{k.replace(chr(34), "")}"'
        f"\r\n\r\n{v}\r\n"
        for k, v in fields.items()
    ]
    return "".join(parts) + "--fuzzboundary--\r\n"


def check(response, before: dict[str, Any], statuses: Counter[int]) -> None:
    statuses[response.status_code] += 1
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert body["success"] is (response.status_code < 400)
    if response.status_code >= 400:
        assert stored() == before, response.content[:300]


def routes(ids: dict[str, int], kind: str) -> list[tuple[str, str]]:
    p = f"/api/portfolios/{ids['p']}"
    if kind == "portfolios":
        return [("POST", "/api/portfolios"), ("PATCH", p)]
    one = ids["a"] if kind == "addresses" else ids["o"]
    return [("POST", f"{p}/{kind}"), ("PATCH", f"{p}/{kind}/{one}")]


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
@pytest.mark.parametrize("kind", ["portfolios", "addresses", "offsets"])
def test_write_routes_never_answer_5xx(api, alice_ids, kind, encoding):
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(data=st.one_of(BODIES[kind], RANDOM_BODY), which=st.integers(0, 1))
    def run(data, which):
        method, url = routes(alice_ids, kind)[which]
        before = stored()
        check(send(api, method, url, data, encoding), before, statuses)

    run()
    print(f"fuzz {kind}/{encoding}: {sorted(statuses.items())}")  # the figures, with -s


# --- the query strings of the read routes -------------------------------------------------------

READ_ROUTES = [
    "",
    "/addresses/{a}/transactions",
    "/transactions",
    "/transactions/missing-values",
    "/transfers",
    "/imports",
    "/cost-basis",
    "/cost-basis/lots",
    "/cost-basis/disposals",
    "/cost-basis/report.csv",
]
QUERY_NAMES = st.sampled_from(
    ["limit", "offset", "from", "to", "asset", "kind", "wallet", "status", "year", "api_key"]
)
QUERY_VALUES = st.one_of(
    ODD,
    st.sampled_from(
        ["99999999999999999999", "-99999999999999999999", "²", "2024-13-40", "9" * 5000]
    ),
    st.text(st.characters(exclude_categories=()), max_size=20),
)


def _query(params: dict[str, str]) -> str:
    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in params.items())


def test_read_routes_never_answer_5xx_whatever_the_query(
    api, alice_ids, django_capture_on_commit_callbacks
):
    from addresses.models import Address

    # Every route answers stored data now: the address is never fetched (its explorer rejected
    # it) and the cost basis is built by the first ask.
    Address.objects.filter(pk=alice_ids["a"]).update(valid=False)
    base = f"/api/portfolios/{alice_ids['p']}"
    with django_capture_on_commit_callbacks(execute=True):
        api.get(f"{base}/cost-basis")
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(
        route=st.sampled_from(READ_ROUTES),
        params=st.dictionaries(QUERY_NAMES, QUERY_VALUES, max_size=4),
    )
    def run(route, params):
        url = base + route.format(a=alice_ids["a"]) + "?" + _query(params)
        response = api.get(url)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (url[:300], response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/json", response.content[:200]
            assert response.json()["success"] is False

    run()
    print(f"fuzz read routes: {sorted(statuses.items())}")  # the figures, with -s
