"""The kinds of ledger movement. Pure: the ingest parser, the ledger models and the cost-basis
engine all use these names. Each kind is either an inflow or an outflow of its asset."""

from enum import StrEnum


class Kind(StrEnum):
    BUY = "buy"
    SELL = "sell"
    TRADE_IN = "trade_in"  # the acquired leg of a crypto-for-crypto trade or a convert
    TRADE_OUT = "trade_out"  # the given-up leg of a trade or a convert
    INCOME = "income"  # staking, rewards, interest, learning rewards, referral, airdrop
    SPEND = "spend"
    GIFT_IN = "gift_in"
    GIFT_OUT = "gift_out"
    FEE = "fee"  # a fee paid in crypto, as a movement of its own
    TRANSFER_IN = "transfer_in"  # from one of the user's own wallets
    TRANSFER_OUT = "transfer_out"  # to one of the user's own wallets
    UNCLASSIFIED_IN = "unclassified_in"  # an on-chain receive not yet explained
    UNCLASSIFIED_OUT = "unclassified_out"  # an on-chain send not yet explained
    FIAT_DEPOSIT = "fiat_deposit"  # cash into the exchange: not a crypto lot
    FIAT_WITHDRAWAL = "fiat_withdrawal"  # cash out of the exchange


INFLOWS = frozenset(
    {
        Kind.BUY,
        Kind.TRADE_IN,
        Kind.INCOME,
        Kind.GIFT_IN,
        Kind.TRANSFER_IN,
        Kind.UNCLASSIFIED_IN,
        Kind.FIAT_DEPOSIT,
    }
)
OUTFLOWS = frozenset(
    {
        Kind.SELL,
        Kind.TRADE_OUT,
        Kind.SPEND,
        Kind.GIFT_OUT,
        Kind.FEE,
        Kind.TRANSFER_OUT,
        Kind.UNCLASSIFIED_OUT,
        Kind.FIAT_WITHDRAWAL,
    }
)
assert set(Kind) == INFLOWS | OUTFLOWS and not INFLOWS & OUTFLOWS


class IncomeType(StrEnum):
    """What kind of income an INCOME row is (for reports)."""

    STAKING = "staking"
    REWARD = "reward"
    INTEREST = "interest"
    LEARNING = "learning"
    REFERRAL = "referral"
    AIRDROP = "airdrop"
    OTHER = "other"


def sign(kind: Kind) -> int:
    """+1 when the kind adds its quantity to the wallet's holding, -1 when it takes it away."""
    return 1 if kind in INFLOWS else -1
