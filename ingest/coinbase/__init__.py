"""Coinbase "Transaction history" CSV → ledger movements. Pure: no Django, no ORM, no network.

    parser = CoinbaseCsvParser(uploaded_file)      # binary or text
    for row in parser: ...                          # StatementRow, streamed
    summary = summarize(CoinbaseCsvParser(f))       # dry run: counts, holdings, warnings

Variants (FORMATS.md 1.1), recognised by their exact header within the first 20 lines after
a preamble of any length (a BOM and blank lines included): V1 (money columns named with the
account currency, `USD Subtotal`, `EUR Fees`…), V2 and V3 (`Spot Price Currency`), V4a
(`Price Currency`, no ID), V4 (`ID` first), V5 (V4 + `Sender Address`, `Recipient Address`),
and the obsolete L1 ("Buys/Sells", asset in the quantity column's name) and L2 ("Tax
Transactions Report", `MM/DD/YYYY` dates). L0 (per-wallet 2014-2017 reports) is refused.

Reading rules:
- Quantities: exact ``Decimal``, plain or exponent notation (`2.103e-05` → 0.00002103);
  the direction comes from the type (V1-V3 write every quantity positive), and from the sign
  only for staking transfers and migrations (V4+ sign them; a lone positive Convert source,
  seen in V4, is therefore still the source).
- Money: `$`/`€`/`£`/`Kč`/`kr` prefixes, a sign before or after the symbol, comma thousands
  groups, accounting parentheses and exponents are accepted; the absolute value is kept.
- Rows are yielded in file order; the file may be newest-first or oldest-first, so a
  consumer that needs time order sorts (``summarize`` does, per asset).
- The other leg of a Convert (`Converted 0.1 ETH to 300 USDC`) or of a crypto-quoted trade
  (`Bought 0.5 ETH for 0.026 BTC on ETH-BTC at 0.052 BTC/ETH`) comes from the Notes; EU notes
  with a decimal comma are read in the convention under which the source amount equals the
  row's quantity, else the smaller reading. A V5 Convert written as two rows sharing one ID is
  paired by ID (negative row = source) and its Notes are not needed; a V4 Convert waits
  ``SAME_ID_WINDOW_SECONDS`` of file time for such a second row before its Notes are read.
- Staking transfers, unstaking transfers, ETH2 deprecation and asset migrations become a
  TRANSFER_OUT / TRANSFER_IN pair with ``migration=True`` and a shared ``pair_key``: holdings
  move (eth2 → eth) exactly, with no taxable event, and the cost basis can carry the lots
  across. Legs are paired by type and opposite sign (equal size preferred) within
  ``PAIR_WINDOW_SECONDS``; a leg left alone still moves holdings and is warned about.
- Internal moves (Vault, Savings, Transfer) and zero quantities are skipped and counted in
  ``parser.warnings``; so is the "Buy EUR for EUR" row some exports contain.
- A refused file raises ``StatementRejected`` (a ``ValidationFailed``) naming the physical
  line: unknown header (the line of the row that looked most like one, columns listed), wrong
  column count, a quantity, price or money cell that is not a number, a bad timestamp, an
  unknown Transaction Type, a Convert or crypto-quoted trade whose Notes cannot be read.

The type → kind table is in ``txtypes``. ``external_id`` is the ``ID`` (``:out``/``:in``
added when one ID yields two movements) or, for variants without IDs, a sha256 fingerprint
of the row plus an occurrence index, so re-importing an overlapping file deduplicates.
Memory stays bounded: the file is read in 64 KiB chunks, and only the rows inside a pairing
window are held (``MAX_HELD`` at most).
"""

from .parser import MAX_HELD, PAIR_WINDOW_SECONDS, SAME_ID_WINDOW_SECONDS, CoinbaseCsvParser
from .rows import StatementRejected, StatementRow
from .summary import StatementSummary, summarize
from .txtypes import FIAT_CODES, TRANSACTION_TYPES, Handling, TypeRule, type_rule

__all__ = [
    "FIAT_CODES",
    "MAX_HELD",
    "PAIR_WINDOW_SECONDS",
    "SAME_ID_WINDOW_SECONDS",
    "TRANSACTION_TYPES",
    "CoinbaseCsvParser",
    "Handling",
    "StatementRejected",
    "StatementRow",
    "StatementSummary",
    "TypeRule",
    "summarize",
    "type_rule",
]
