"""What each of ccxt's unified structures (a trade, a deposit or withdrawal, a ledger entry) is
in the ledger. Pure: no database, no ccxt.

- A trade is two movements, base and quote, plus one per fee. A leg in a fiat currency is cash
  (FIAT_DEPOSIT / FIAT_WITHDRAWAL) and its crypto leg a BUY or SELL valued at the cost; a
  crypto-for-crypto trade is TRADE_IN + TRADE_OUT sharing a pair key. A fee in crypto (in any
  currency, a third one included, e.g. BNB) is a FEE movement; a fee in fiat is cash out, and
  when it is in the currency the trade is valued in it is the BUY's or SELL's ``fee_value``.
- A deposit or withdrawal that completed is one movement (UNCLASSIFIED_IN / _OUT for crypto,
  so that transfer matching can pair it with one of the user's own wallets by its chain
  transaction id; cash kinds for fiat), plus a FEE movement for a withdrawal fee in crypto.
  Pending ones wait: they come with the sync that sees them completed.
- Ledger entries add what the other calls do not report: rewards, staking, airdrops,
  referrals, cashback and rebates (INCOME), fees of their own (FEE), and the spend/receive legs
  of an exchange's instant buys (TRADE or cash). Ledger entries of trades, deposits and
  withdrawals are skipped when the exchange reports those by their own calls.

External ids are the exchange's own ids, prefixed by the kind (``trade:ID:base``), so a re-sync
never stores a movement twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.kinds import IncomeType, Kind

ZERO = Decimal(0)
IsFiat = Callable[[str], bool]
INCOME_TYPES = {
    "reward": IncomeType.REWARD,
    "rewards": IncomeType.REWARD,
    "staking": IncomeType.STAKING,
    "airdrop": IncomeType.AIRDROP,
    "referral": IncomeType.REFERRAL,
    "cashback": IncomeType.REWARD,
    "rebate": IncomeType.OTHER,
    "interest": IncomeType.INTEREST,
    "earn": IncomeType.REWARD,
    "dividend": IncomeType.OTHER,
}
COMPLETED = {None, "", "ok", "complete", "completed", "success", "succeeded"}


@dataclass(frozen=True, slots=True)
class Movement:
    external_id: str
    kind: Kind
    asset: str  # lower-case currency code
    quantity: Decimal
    occurred_at: datetime
    tx_type: str
    reference: str = ""
    income_type: str = ""
    value: Decimal | None = None
    value_currency: str | None = None
    fee_asset: str | None = None
    fee_value: Decimal | None = None
    pair_key: str = ""


def amount(raw: Any) -> Decimal | None:
    """ccxt's number (a float, a string or None) as an exact Decimal: a float through its
    shortest repr, which is the decimal the exchange sent for up to 15 significant digits."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def moment(row: dict[str, Any]) -> datetime | None:
    ts = row.get("timestamp")
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts) / 1000, tz=UTC)


def code_of(raw: Any) -> str:
    return str(raw or "").strip().lower()


def _fees(row: dict[str, Any]) -> list[tuple[str, Decimal]]:
    fees = row.get("fees") or ([row["fee"]] if row.get("fee") else [])
    found: dict[str, Decimal] = {}
    for fee in fees:
        cost, code = amount((fee or {}).get("cost")), code_of((fee or {}).get("currency"))
        if cost and cost > 0 and code:
            found[code] = found.get(code, ZERO) + cost
    return sorted(found.items())


def trade_movements(row: dict[str, Any], is_fiat: IsFiat) -> list[Movement]:
    """The movements of one unified trade; ``is_fiat(code) -> bool``."""
    at, trade_id = moment(row), row.get("id")
    symbol = str(row.get("symbol") or "").split(":")[0]
    if at is None or not trade_id or "/" not in symbol:
        return []
    base, quote = (code_of(c) for c in symbol.split("/", 1))
    qty = amount(row.get("amount"))
    cost = amount(row.get("cost"))
    if cost is None and qty is not None and amount(row.get("price")) is not None:
        cost = qty * (amount(row.get("price")) or ZERO)
    side = str(row.get("side") or "").lower()
    if not qty or qty <= 0 or not cost or cost <= 0 or side not in ("buy", "sell"):
        return []
    buying = side == "buy"
    key = f"trade:{trade_id}"
    fees = _fees(row)
    moves: list[Movement] = []
    if is_fiat(quote) and not is_fiat(base):
        fee_value = sum((c for code, c in fees if code == quote), ZERO) or None
        moves.append(
            Movement(
                f"{key}:base",
                Kind.BUY if buying else Kind.SELL,
                base,
                qty,
                at,
                f"trade {side}",
                value=cost,
                value_currency=quote,
                fee_asset=quote if fee_value else None,
                fee_value=fee_value,
            )
        )
        moves.append(
            Movement(
                f"{key}:quote",
                Kind.FIAT_WITHDRAWAL if buying else Kind.FIAT_DEPOSIT,
                quote,
                cost,
                at,
                f"trade {side}",
            )
        )
    else:
        for leg, code, quantity, inflow in (
            ("base", base, qty, buying),
            ("quote", quote, cost, not buying),
        ):
            if is_fiat(code):
                kind = Kind.FIAT_DEPOSIT if inflow else Kind.FIAT_WITHDRAWAL
            else:
                kind = Kind.TRADE_IN if inflow else Kind.TRADE_OUT
            moves.append(
                Movement(f"{key}:{leg}", kind, code, quantity, at, f"trade {side}", pair_key=key)
            )
    for code, fee in fees:
        kind = Kind.FIAT_WITHDRAWAL if is_fiat(code) else Kind.FEE
        moves.append(Movement(f"{key}:fee:{code}", kind, code, fee, at, "trade fee"))
    return moves


def transaction_movements(row: dict[str, Any], is_fiat: IsFiat) -> list[Movement]:
    at, tx_id = moment(row), row.get("id")
    code, qty = code_of(row.get("currency")), amount(row.get("amount"))
    kind_name = str(row.get("type") or "").lower()
    if at is None or not tx_id or not code or not qty or kind_name not in ("deposit", "withdrawal"):
        return []
    if str(row.get("status") or "").lower() not in COMPLETED:
        return []
    qty = abs(qty)
    deposit = kind_name == "deposit"
    if is_fiat(code):
        kind = Kind.FIAT_DEPOSIT if deposit else Kind.FIAT_WITHDRAWAL
    else:
        kind = Kind.UNCLASSIFIED_IN if deposit else Kind.UNCLASSIFIED_OUT
    key = f"{kind_name}:{tx_id}"
    reference = str(row.get("txid") or "")[:200]
    moves = [Movement(key, kind, code, qty, at, kind_name, reference=reference)]
    if not deposit:
        for fee_code, fee in _fees(row):
            fee_kind = Kind.FIAT_WITHDRAWAL if is_fiat(fee_code) else Kind.FEE
            moves.append(
                Movement(f"{key}:fee:{fee_code}", fee_kind, fee_code, fee, at, "withdrawal fee")
            )
    return moves


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def transaction_pending(row: dict[str, Any]) -> bool:
    return str(row.get("status") or "").lower() == "pending"


def ledger_movements(
    row: dict[str, Any], is_fiat: IsFiat, *, covered: set[str], wallet_ledger: bool = False
) -> list[Movement]:
    """``covered``: the ccxt ledger types reported by other calls ("trade", "transaction").
    ``wallet_ledger``: the exchange's ledger is its retail wallet history (Coinbase), whose
    crypto sends and receives and simple buys and sells no other call reports: a crypto
    "transaction" is then an UNCLASSIFIED_IN/_OUT with its chain hash, and a "buy"/"sell" a
    BUY/SELL valued at its native amount."""
    at, entry_id = moment(row), row.get("id")
    code, qty = code_of(row.get("currency")), amount(row.get("amount"))
    entry_type = str(row.get("type") or "").lower()
    direction = str(row.get("direction") or "").lower()
    if at is None or not entry_id or not code or not qty:
        return []
    if str(row.get("status") or "").lower() not in COMPLETED:
        return []
    inflow = direction == "in" if direction in ("in", "out") else qty > 0
    qty = abs(qty)
    key = f"ledger:{entry_id}"
    kind: Kind | None = None
    income = ""
    pair_key = ""
    income_type = next((t for name, t in INCOME_TYPES.items() if name in entry_type), None)
    raw_info = row.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    info_type = str(info.get("type") or "").lower()
    reference = ""
    value: Decimal | None = None
    value_currency: str | None = None
    if wallet_ledger and entry_type == "transaction" and not is_fiat(code):
        kind = Kind.UNCLASSIFIED_IN if inflow else Kind.UNCLASSIFIED_OUT
        network = _dict(info.get("network"))
        reference = str(network.get("hash") or "")[:200]
    elif wallet_ledger and entry_type == "trade" and info_type in ("buy", "sell"):
        if is_fiat(code):
            return []  # the cash side of a simple buy: its crypto row carries the value
        kind = Kind.BUY if inflow else Kind.SELL
        native = _dict(info.get("native_amount"))
        native_code = code_of(native.get("currency"))
        native_value = amount(native.get("amount"))
        if native_code and is_fiat(native_code) and native_value is not None:
            value, value_currency = abs(native_value), native_code
    elif entry_type in covered:
        return []
    elif income_type is not None and inflow:
        kind, income = Kind.INCOME, income_type.value
    elif entry_type == "fee" and not inflow:
        kind = Kind.FIAT_WITHDRAWAL if is_fiat(code) else Kind.FEE
    elif entry_type in ("spend", "receive", "trade"):
        ref_id = str(row.get("referenceId") or "")
        pair_key = f"ledger-ref:{ref_id}" if ref_id else ""
        if is_fiat(code):
            kind = Kind.FIAT_DEPOSIT if inflow else Kind.FIAT_WITHDRAWAL
        else:
            kind = Kind.TRADE_IN if inflow else Kind.TRADE_OUT
    if kind is None:
        return []
    moves = [
        Movement(
            key,
            kind,
            code,
            qty,
            at,
            f"ledger {info_type or entry_type}"[:60],
            reference=reference,
            income_type=income,
            value=value,
            value_currency=value_currency,
            pair_key=pair_key,
        )
    ]
    fee = (row.get("fee") or {}) if isinstance(row.get("fee"), dict) else {}
    fee_cost, fee_code = amount(fee.get("cost")), code_of(fee.get("currency"))
    if fee_cost and fee_cost > 0 and fee_code:
        fee_kind = Kind.FIAT_WITHDRAWAL if is_fiat(fee_code) else Kind.FEE
        moves.append(Movement(f"{key}:fee", fee_kind, fee_code, fee_cost, at, "ledger fee"))
    return moves
