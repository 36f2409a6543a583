"""The statement layouts Coinbase has used, recognised by their exact header row
(FORMATS.md 1.1). A header is matched cell for cell after trimming spaces and a BOM."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADER_SCAN_LINES = 20  # BittyTax scans 20; real preambles are 0 to 7 lines

_V2_TO_V4A = (
    "Timestamp",
    "Transaction Type",
    "Asset",
    "Quantity Transacted",
)
_V3_MONEY = ("Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread", "Notes")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each field is in a variant's rows (column indexes; ``None`` = not in this variant)."""

    variant: str
    columns: int
    timestamp: int
    tx_type: int
    asset: int | None
    quantity: int
    price: int
    subtotal: int | None
    total: int | None
    fee: int | None
    notes: int | None
    id: int | None = None
    currency: int | None = None  # the column naming the fiat of the money columns
    fixed_currency: str | None = None  # V1/L2: the fiat is in the header instead
    fixed_asset: str | None = None  # L1: the asset is the header of the quantity column
    sender: int | None = None
    recipient: int | None = None
    address: int | None = None  # L2: one counterparty address column
    signed: bool = False  # quantities carry the direction (V4, V5)


def _modern(variant: str, price_cells: tuple[str, str], money: tuple[str, ...], offset: int):
    header = (*_V2_TO_V4A, *price_cells, *money)
    return header, dict(
        variant=variant,
        columns=len(header) + offset,
        timestamp=offset,
        tx_type=offset + 1,
        asset=offset + 2,
        quantity=offset + 3,
        currency=offset + 4,
        price=offset + 5,
        subtotal=offset + 6,
        total=offset + 7,
        fee=offset + 8,
        notes=offset + 9,
    )


def _fixed_layouts() -> dict[tuple[str, ...], Layout]:
    layouts: dict[tuple[str, ...], Layout] = {}
    v2_money = ("Subtotal", "Total (inclusive of fees)", "Fees", "Notes")
    spot = ("Spot Price Currency", "Spot Price at Transaction")
    price = ("Price Currency", "Price at Transaction")
    for variant, cells, money in (
        ("V2", spot, v2_money),
        ("V3", spot, _V3_MONEY),
        ("V4a", price, _V3_MONEY),
    ):
        header, fields = _modern(variant, cells, money, 0)
        layouts[header] = Layout(**fields)
    header, fields = _modern("V4", price, _V3_MONEY, 1)
    layouts[("ID", *header)] = Layout(**fields, id=0, signed=True)
    fields.update(variant="V5", columns=13)
    layouts[("ID", *header, "Sender Address", "Recipient Address")] = Layout(
        **fields, id=0, signed=True, sender=11, recipient=12
    )
    l2 = (
        *_V2_TO_V4A,
        "USD Spot Price at Transaction",
        "USD Amount Transacted (Inclusive of Coinbase Fees)",
        "Address",
        "Notes",
    )
    layouts[l2] = Layout(
        variant="L2",
        columns=8,
        timestamp=0,
        tx_type=1,
        asset=2,
        quantity=3,
        price=4,
        subtotal=None,
        total=5,
        fee=None,
        notes=7,
        fixed_currency="usd",
        address=6,
    )
    return layouts


_FIXED = _fixed_layouts()
_V1 = re.compile(r"([A-Z]{3}) Spot Price at Transaction")
_L1_TAIL = (
    "Subtotal",
    "Fees",
    "Total",
    "Currency",
    "Price Per Coin",
    "Payment Method",
    "ID",
    "Share",
)
_ASSET_CODE = re.compile(r"[A-Z0-9]{2,12}")


def match_header(cells: list[str]) -> Layout | None:
    """The layout whose header is exactly ``cells`` (already trimmed), or ``None``."""
    layout = _FIXED.get(tuple(cells))
    if layout is not None:
        return layout
    if len(cells) == 9 and (m := _V1.fullmatch(cells[4])):
        ccy = m[1]
        v1 = (
            *_V2_TO_V4A,
            f"{ccy} Spot Price at Transaction",
            f"{ccy} Subtotal",
            f"{ccy} Total (inclusive of fees)",
            f"{ccy} Fees",
            "Notes",
        )
        if tuple(cells) == v1:
            return Layout(
                variant="V1",
                columns=9,
                timestamp=0,
                tx_type=1,
                asset=2,
                quantity=3,
                price=4,
                subtotal=5,
                total=6,
                fee=7,
                notes=8,
                fixed_currency=ccy.lower(),
            )
    if (
        len(cells) == 11
        and cells[:2] == ["Timestamp", "Type"]
        and tuple(cells[3:]) == _L1_TAIL
        and _ASSET_CODE.fullmatch(cells[2])
    ):
        return Layout(
            variant="L1",
            columns=11,
            timestamp=0,
            tx_type=1,
            asset=None,
            quantity=2,
            price=7,
            subtotal=3,
            total=5,
            fee=4,
            notes=None,
            id=9,
            currency=6,
            fixed_asset=cells[2].lower(),
        )
    return None
