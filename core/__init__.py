"""Shared building blocks. Importing it widens Decimal precision process-wide: amounts have up
to 38 significant digits (numeric(38, 18)) and the default context would round sums at 28."""

import decimal

DECIMAL_PRECISION = 60
decimal.DefaultContext.prec = DECIMAL_PRECISION  # threads started from now on
decimal.getcontext().prec = DECIMAL_PRECISION  # this thread
