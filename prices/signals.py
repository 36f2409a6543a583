"""What prices tell the apps that value things with them, without knowing those apps: each
receiver is connected in its own app's ``AppConfig.ready()`` (portfolios stamps its
``converted_*_last_updated`` fields)."""

from django.dispatch import Signal

# New spot prices were stored; ``at`` is the refresh time. Sent inside the refresh's
# transaction, so a receiver's writes commit (or roll back) with the prices.
spot_prices_stored = Signal()  # kwargs: at
# New daily prices were stored; ``at`` is when.
daily_prices_stored = Signal()  # kwargs: at
