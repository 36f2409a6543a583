"""What each Coinbase ``Transaction Type`` means for the ledger (FORMATS.md 1.4).

=================================================  =========================================
Transaction Type (matched ignoring case/spacing)   Ledger movement(s)
=================================================  =========================================
Buy, Advanced Trade Buy, Advance Trade Buy,        BUY; when the Notes name a crypto quote
Retail MGX DEX Buy                                 (`… for 0.026 BTC on ETH-BTC`): TRADE_IN of
                                                   the asset + TRADE_OUT of the quote, paired
Sell, Advanced Trade Sell, Advance Trade Sell      SELL; crypto quote: TRADE_OUT + TRADE_IN
Retail Simple Dust                                 SELL (a dust sweep is a sale)
Convert                                            TRADE_OUT of the source + TRADE_IN of the
                                                   target (from Notes, or the second V5 row
                                                   sharing the ID), paired
Receive                                            UNCLASSIFIED_IN; Notes `Coinbase Referral`
                                                   → INCOME/referral, `Coinbase Earn` or
                                                   `learning reward` → INCOME/learning,
                                                   `Coinbase Rewards` → INCOME/reward
Send, Retail MGX DEX Send                          UNCLASSIFIED_OUT
Coinbase Earn, Learning Reward                     INCOME/learning
Rewards Income, Reward Income                      INCOME/reward
Staking Income, Inflation Reward                   INCOME/staking
Interest payout                                    INCOME/interest
Subscription Rebate, Subscription Rebates (24      INCOME/other (a rebate of a subscription
Hours), Credit                                     paid earlier)
Donation                                           GIFT_OUT
Card Spend, Subscription, Admin Debit              SPEND
Exchange/Pro/Prime Deposit                         TRANSFER_OUT (to the user's Pro/Prime
                                                   account, another wallet of theirs)
Exchange/Pro/Prime Withdrawal                      TRANSFER_IN
Deposit / Withdrawal                               FIAT_DEPOSIT / FIAT_WITHDRAWAL on a fiat
                                                   asset, TRANSFER_IN / TRANSFER_OUT on crypto
Retail Staking Transfer, Retail Unstaking          TRANSFER_OUT (negative leg) + TRANSFER_IN
Transfer, Retail Eth2 Deprecation, Asset           (positive leg), ``migration=True``, paired:
Migration                                          holdings move (eth2 → eth) with no taxable
                                                   event; the cost basis carries lots across
Vault Withdrawal, Vault Deposit, Cash to           nothing (internal to Coinbase, no holdings
Savings, Savings to Cash, Transfer                 change); counted in the parser's warnings
=================================================  =========================================

Any movement of a fiat asset (`USD`, `EUR`, the file's price currency…) is cash, not a crypto
lot: it becomes FIAT_DEPOSIT when it adds to the asset and FIAT_WITHDRAWAL when it takes away,
whatever the type; the crypto leg of a Convert to or from fiat is then a BUY or SELL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ledger.kinds import IncomeType, Kind


class Handling(Enum):
    FIXED = "fixed"  # the kind below, direction from the type
    TRADE = "trade"  # BUY/SELL unless the Notes name a crypto quote
    CONVERT = "convert"  # two legs, the other one from the Notes or a sibling row
    RECEIVE = "receive"  # UNCLASSIFIED_IN unless the Notes say it is Coinbase income
    CASH = "cash"  # Deposit/Withdrawal: fiat or crypto
    PAIRED = "paired"  # signed legs of a staking transfer or a migration
    INTERNAL = "internal"  # no holdings change


@dataclass(frozen=True, slots=True)
class TypeRule:
    handling: Handling
    kind: Kind | None  # the kind on a crypto asset; None for PAIRED and INTERNAL
    income_type: IncomeType | None = None


def _rule(handling: Handling, kind: Kind | None = None, income: IncomeType | None = None):
    return TypeRule(handling, kind, income)


_F, _T = Handling.FIXED, Handling.TRADE

TRANSACTION_TYPES: dict[str, TypeRule] = {
    "buy": _rule(_T, Kind.BUY),
    "advanced trade buy": _rule(_T, Kind.BUY),
    "advance trade buy": _rule(_T, Kind.BUY),
    "retail mgx dex buy": _rule(_T, Kind.BUY),
    "sell": _rule(_T, Kind.SELL),
    "advanced trade sell": _rule(_T, Kind.SELL),
    "advance trade sell": _rule(_T, Kind.SELL),
    "retail simple dust": _rule(_F, Kind.SELL),
    "convert": _rule(Handling.CONVERT, Kind.TRADE_OUT),
    "receive": _rule(Handling.RECEIVE, Kind.UNCLASSIFIED_IN),
    "send": _rule(_F, Kind.UNCLASSIFIED_OUT),
    "retail mgx dex send": _rule(_F, Kind.UNCLASSIFIED_OUT),
    "coinbase earn": _rule(_F, Kind.INCOME, IncomeType.LEARNING),
    "learning reward": _rule(_F, Kind.INCOME, IncomeType.LEARNING),
    "rewards income": _rule(_F, Kind.INCOME, IncomeType.REWARD),
    "reward income": _rule(_F, Kind.INCOME, IncomeType.REWARD),
    "staking income": _rule(_F, Kind.INCOME, IncomeType.STAKING),
    "inflation reward": _rule(_F, Kind.INCOME, IncomeType.STAKING),
    "interest payout": _rule(_F, Kind.INCOME, IncomeType.INTEREST),
    "subscription rebate": _rule(_F, Kind.INCOME, IncomeType.OTHER),
    "subscription rebates (24 hours)": _rule(_F, Kind.INCOME, IncomeType.OTHER),
    "credit": _rule(_F, Kind.INCOME, IncomeType.OTHER),
    "donation": _rule(_F, Kind.GIFT_OUT),
    "card spend": _rule(_F, Kind.SPEND),
    "subscription": _rule(_F, Kind.SPEND),
    "admin debit": _rule(_F, Kind.SPEND),
    "exchange deposit": _rule(_F, Kind.TRANSFER_OUT),
    "pro deposit": _rule(_F, Kind.TRANSFER_OUT),
    "prime deposit": _rule(_F, Kind.TRANSFER_OUT),
    "exchange withdrawal": _rule(_F, Kind.TRANSFER_IN),
    "pro withdrawal": _rule(_F, Kind.TRANSFER_IN),
    "prime withdrawal": _rule(_F, Kind.TRANSFER_IN),
    "deposit": _rule(Handling.CASH, Kind.TRANSFER_IN),
    "withdrawal": _rule(Handling.CASH, Kind.TRANSFER_OUT),
    "retail staking transfer": _rule(Handling.PAIRED),
    "retail unstaking transfer": _rule(Handling.PAIRED),
    "retail eth2 deprecation": _rule(Handling.PAIRED),
    "asset migration": _rule(Handling.PAIRED),
    "vault withdrawal": _rule(Handling.INTERNAL),
    "vault deposit": _rule(Handling.INTERNAL),
    "cash to savings": _rule(Handling.INTERNAL),
    "savings to cash": _rule(Handling.INTERNAL),
    "transfer": _rule(Handling.INTERNAL),
}


def type_rule(tx_type: str) -> TypeRule | None:
    """The rule for a type as written (case and inner spacing ignored); ``None`` if unknown."""
    return TRANSACTION_TYPES.get(" ".join(tx_type.lower().split()))


# Fiat codes a Coinbase account can hold or price in (ISO 4217). Anything else is crypto,
# stablecoins included: USDC bought with ETH is a crypto-for-crypto trade.
FIAT_CODES = frozenset(
    [
        "usd",
        "eur",
        "gbp",
        "cad",
        "aud",
        "nzd",
        "chf",
        "jpy",
        "czk",
        "sek",
        "nok",
        "dkk",
        "pln",
        "huf",
        "ron",
        "bgn",
        "hrk",
        "isk",
        "sgd",
        "hkd",
        "brl",
        "mxn",
        "ars",
        "clp",
        "cop",
        "pen",
        "uyu",
        "zar",
        "try",
        "inr",
        "idr",
        "krw",
        "php",
        "thb",
        "myr",
        "vnd",
        "twd",
        "ils",
        "aed",
        "sar",
        "qar",
        "kwd",
        "bhd",
        "ngn",
        "kes",
        "ghs",
        "uah",
        "rub",
        "kzt",
        "egp",
        "mad",
    ]
)

# Receive notes that say the coins came from Coinbase itself, and what income that is.
RECEIVE_INCOME = (
    ("coinbase referral", IncomeType.REFERRAL),
    ("learning reward", IncomeType.LEARNING),
    ("coinbase earn", IncomeType.LEARNING),
    ("coinbase rewards", IncomeType.REWARD),
)
