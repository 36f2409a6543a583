"""Target allocations and the analytics against them. Pure: no ORM, Decimal in, Decimal out.

Definitions (docs/api.md "Analytics"), all in one reporting currency:

- ``value``: an asset's quantity at its spot price; ``total``: the sum over the priced assets
  (an asset without a price path is left out and listed as unpriced, as in ``converted``).
- ``current`` = value / total; ``target``: the fraction the user set (0 for an asset held
  without a target; ``None`` for every asset while no targets are set).
- ``drift`` = current − target; ``total_drift`` = ½ Σ |drift|: the fraction of the portfolio's
  value that would have to change hands to be back on target (0 on target, 1 at most).
- a **trade** per asset: buy or sell target × total − value (its ``value``), ``quantity`` that
  value at the asset's price; a trade whose value is below the minimum trade size is left out.
- **concentration**: ``largest`` the priced asset with the largest value and its fraction;
  ``herfindahl`` = Σ current² over the priced assets (1 = everything in one asset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.exceptions import ValidationFailed
from core.money import parse_amount

# Fractions and trade quantities are cut to the places the API's amounts carry.
PLACES = Decimal("1e-18")
TARGETS = "target_allocations"


def target_fractions(raw: Any) -> dict[str, Decimal]:
    """``{code: fraction}`` from a request: an object of asset code → fraction (a number or a
    decimal string; ``target_allocations[btc]=0.6`` in a form). An empty object (or ``""``, a
    bare ``target_allocations`` in a form) clears the targets. Every problem is reported: not an
    object, a code given twice (``BTC`` and ``btc``), a fraction that is not a number, negative
    or above 1, and a sum other than exactly 1. Whether the codes are known is the service's
    question. Codes come back lower-cased, sorted."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            f"{TARGETS} must be an object of asset code to fraction, for example "
            '{"btc": "0.6", "eth": "0.4"}'
        )
    fractions: dict[str, Decimal] = {}
    problems: list[str] = []
    for key, value in raw.items():
        code = str(key).strip().lower()
        if not code:
            problems.append(f"{TARGETS} has an empty asset code")
            continue
        if code in fractions:
            problems.append(f"{TARGETS} names '{code}' more than once")
            continue
        try:
            fraction = parse_amount(value, field=f"{TARGETS}[{code}]")
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            fractions[code] = Decimal(0)
            continue
        if fraction < 0:
            problems.append(f"{TARGETS}[{code}] must not be negative")
        elif fraction > 1:
            problems.append(f"{TARGETS}[{code}] must be at most 1")
        fractions[code] = fraction
    if not problems and sum(fractions.values(), Decimal(0)) != 1:
        total = sum(fractions.values(), Decimal(0))
        problems.append(f"{TARGETS} must sum to exactly 1 (these sum to {_plain(total)})")
    if problems:
        raise ValidationFailed(problems)
    return dict(sorted(fractions.items()))


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Position:
    """One asset held or targeted: its quantity, value in the reporting currency and the price
    of one unit (both None without a price path)."""

    currency: str
    quantity: Decimal
    value: Decimal | None
    price: Decimal | None


@dataclass(frozen=True)
class Allocation:
    currency: str
    value: Decimal | None
    current: Decimal | None
    target: Decimal | None
    drift: Decimal | None


@dataclass(frozen=True)
class Trade:
    currency: str
    side: str  # "buy" or "sell"
    quantity: Decimal | None  # None when the asset has no price
    value: Decimal  # always positive


@dataclass(frozen=True)
class Concentration:
    largest: Allocation | None
    herfindahl: Decimal | None


@dataclass(frozen=True)
class Analytics:
    total: Decimal
    allocations: list[Allocation]
    total_drift: Decimal | None
    trades: list[Trade]
    concentration: Concentration
    unpriced: list[str]


def _cut(value: Decimal) -> Decimal:
    return value.quantize(PLACES)


def portfolio_analytics(
    positions: list[Position], targets: Mapping[str, Decimal], *, min_trade: Decimal
) -> Analytics:
    """Current versus target allocation, drift, the trades back to target and concentration
    (the module's definitions). ``positions``: every asset held (quantity ≠ 0) or targeted;
    ``min_trade``: the smallest trade value kept, in the reporting currency. Rows by code."""
    by_code = {p.currency: p for p in positions}
    codes = sorted(set(by_code) | set(targets))
    total = sum((p.value for p in positions if p.value is not None), Decimal(0))
    has_targets = bool(targets)
    allocations: list[Allocation] = []
    trades: list[Trade] = []
    unpriced: list[str] = []
    for code in codes:
        position = by_code.get(code, Position(code, Decimal(0), None, None))
        target = targets.get(code, Decimal(0)) if has_targets else None
        held_unpriced = position.value is None and position.quantity != 0
        if held_unpriced or (position.price is None and target):
            unpriced.append(code)
        value = position.value if position.value is not None else None
        if value is None and position.quantity == 0:
            value = Decimal(0)  # targeted, not held: nothing to price
        current = None if value is None or total == 0 else _cut(value / total)
        drift = None if current is None or target is None else current - target
        allocations.append(Allocation(code, value, current, target, drift))
        if target is None or value is None or total == 0:
            continue
        change = target * total - value
        if change == 0 or abs(change) < min_trade:
            continue
        quantity = None if not position.price else _cut(abs(change) / position.price)
        trades.append(Trade(code, "buy" if change > 0 else "sell", quantity, abs(change)))
    drifts = [a.drift for a in allocations if a.drift is not None]
    total_drift = (
        sum((abs(d) for d in drifts), Decimal(0)) / 2 if has_targets and total != 0 else None
    )
    priced = [a for a in allocations if a.current is not None and a.value]
    # The largest value; of equal ones the first by code.
    largest = min(priced, key=lambda a: (-(a.value or 0), a.currency), default=None)
    herfindahl = (
        _cut(sum((((a.value or Decimal(0)) / total) ** 2 for a in priced), Decimal(0)))
        if priced
        else None
    )
    return Analytics(
        total=total,
        allocations=allocations,
        total_drift=total_drift,
        trades=trades,
        concentration=Concentration(largest, herfindahl),
        unpriced=unpriced,
    )
