"""Coinbase's ETH2 -> ETH migration through the public surface: the statement fragment
tests/ingest/statements/v4_eth2_migration.csv imported through the API, then the cost-basis API.

The fragment, by hand (USD):

    2021-01-06 buy 2 ETH for 2,400 + 20 fee                  -> lot A: 2 ETH, 2,420 (1,210 each)
    2021-01-10 convert 1.5 ETH to 1.5 ETH2 at 1,875          -> sells 1.5 of A (cost 1,815,
                                                                gain 60), lot C: 1.5 ETH2, 1,875
    2022-01-01 staking income 0.008 ETH2, 29.60              -> lot S: 0.008 ETH2, 29.60
    2023-06-01 unstaking transfer 0.2 ETH2 -> 0.2 ETH         -> a conversion
    2025-01-21 ETH2 deprecation 1.308 ETH2 -> 1.308 ETH       -> a conversion
    2025-02-01 buy 0.5 ETH for 1,550 + 15 fee                 -> lot B: 0.5 ETH, 1,565

The conversions carry C and S across as ETH with their dates and cost: ETH lots A 0.5 (605),
C 1.5 (1,875), S 0.008 (29.60), B 0.5 (1,565) = 2.508 ETH for 4,074.60; no ETH2 anywhere; the
only realized gain is the 2021 convert's 60.
"""

from __future__ import annotations

import pytest

from ledger.models import LedgerEntry
from tests.api.conftest import ok
from tests.costbasis.conftest import D, build
from tests.ingest.conftest import statement, upload

pytestmark = pytest.mark.django_db

LOTS = [
    # (source row: type and asset, acquired_at, original quantity, remaining, remaining cost)
    (("Buy", "eth"), "2021-01-06T12:00:00+00:00", "2.0", "0.5", "605.0"),
    (("Convert", "eth2"), "2021-01-10T00:00:00+00:00", "1.5", "1.5", "1875.0"),
    (("Staking Income", "eth2"), "2022-01-01T00:00:00+00:00", "0.008", "0.008", "29.6"),
    (("Buy", "eth"), "2025-02-01T12:00:00+00:00", "0.5", "0.5", "1565.0"),
]


@pytest.fixture
def imported(api, portfolio):
    ok(upload(api, portfolio, statement("v4_eth2_migration.csv")), 201)
    return portfolio


def source(entry_id: int) -> tuple[str, str]:
    entry = LedgerEntry.objects.select_related("asset").get(pk=entry_id)
    return entry.tx_type, entry.asset.code


@pytest.mark.parametrize("pooling", ["universal", "per_wallet"])
def test_the_migration_carries_the_eth2_lots_into_eth(api, imported, pooling):
    base = f"/api/portfolios/{imported.pk}/cost-basis"
    ok(api.patch(f"{base}/settings", {"pooling": pooling}, format="json"))
    build(imported, force=True)

    summary = ok(api.get(base))
    lots = ok(api.get(f"{base}/lots"))
    disposals = ok(api.get(f"{base}/disposals"))

    # No ETH2 left in any pool (tracked wallets, elsewhere, in transit)
    assert {lot["currency"]["code"] for lot in lots} == {"eth"}
    assert {lot["pool"] for lot in lots} == {"universal" if pooling == "universal" else "wallet"}
    assert [a["currency"]["code"] for a in summary["assets"]] == ["eth"]
    # The ETH lots carry the original dates and cost
    assert [
        (
            source(lot["transaction"]),
            lot["acquired_at"],
            lot["original_quantity"],
            lot["remaining_quantity"],
            lot["remaining_cost"],
        )
        for lot in lots
    ] == LOTS
    assert not any(lot["estimated"] for lot in lots)
    # Total ETH = the 1.508 ETH2 converted + what is left of the ETH bought (0.5 + 0.5)
    (eth,) = summary["assets"]
    assert D(eth["quantity"]) == D(eth["lots_quantity"]) == D("1.508") + D("0.5") + D("0.5")
    assert (eth["cost"], eth["elsewhere"], eth["without_lots"]) == ("4074.6", "0.0", "0.0")
    # No realized gain on the migration: the one disposal is the 2021 convert
    assert [(d["at"], d["kind"], d["proceeds"], d["cost"]) for d in disposals] == [
        ("2021-01-10T00:00:00+00:00", "trade_out", "1875.0", "1815.0")
    ]
    assert [(r["year"], r["total"]) for r in summary["realized"]] == [(2021, "60.0")]
    assert summary["flags"] == []
