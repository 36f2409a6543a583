"""Demo data for the README's first command: a demo user with a demo portfolio that shows
something on every page without internet. Idempotent: running it again resets the demo
credentials and keeps the data."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from oauth2_provider.models import Application

from addresses.models import Address
from addresses.services import address_create
from ingest.services import statement_import
from ledger.models import Import
from offsets.models import Offset
from offsets.services import offset_create
from portfolios.models import Portfolio
from portfolios.services import portfolio_create
from users.models import ApiKey, User
from users.services import api_key_create

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"
DEMO_PORTFOLIO = "Demo portfolio"
DEMO_APP = "Demo app (password grant)"
DEMO_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    client_id: str
    client_secret: str
    api_key: str
    portfolio_id: int


@transaction.atomic
def demo_load() -> DemoCredentials:
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo user")
    user.set_password(DEMO_PASSWORD)
    user.allow_remote_login = True  # so the README's curl example can use the password grant
    user.save()

    portfolio = Portfolio.objects.filter(user=user, title=DEMO_PORTFOLIO).first()
    if portfolio is None:
        portfolio = portfolio_create(
            user=user,
            title=DEMO_PORTFOLIO,
            currency_codes=["usd", "eur", "btc"],
            source=Portfolio.SOURCE_DEMO,
            # Something for the Targets tab to compare with: 60 % bitcoin, 40 % ether.
            fields={
                "target_allocations": {"btc": Decimal("0.6"), "eth": Decimal("0.4")},
                "is_default": True,
                "tags": ["demo"],
            },
        )
    if not Offset.objects.filter(portfolio=portfolio).exists():
        offset_create(
            portfolio=portfolio,
            title="Cold storage (noted by hand)",
            balances=[{"currency": "btc", "balance": "0.5"}, {"currency": "eth", "balance": "2"}],
            source=Portfolio.SOURCE_DEMO,
        )
    if not Address.objects.filter(portfolio=portfolio).exists():
        address_create(
            portfolio=portfolio,
            title="Demo Bitcoin address",
            address=DEMO_ADDRESS,
            currency_code="btc",
            source=Portfolio.SOURCE_DEMO,
        )
    _demo_extras(user=user, portfolio=portfolio)

    client_secret = secrets.token_urlsafe(32)
    app = Application.objects.filter(user=user, name=DEMO_APP).first()
    if app is None:
        app = Application(
            user=user,
            name=DEMO_APP,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_PASSWORD,
            redirect_uris="",
        )
    app.client_secret = client_secret  # hashed on save; this run's value is printed once
    app.save()

    ApiKey.objects.filter(user=user, name="demo").delete()
    key = api_key_create(user=user, name="demo", scopes=["read", "info"])
    return DemoCredentials(
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        client_id=app.client_id,
        client_secret=client_secret,
        api_key=key.key,
        portfolio_id=portfolio.pk,
    )


DEMO_STATEMENT = Path(__file__).resolve().parent / "demo_data" / "coinbase-demo.csv"


def _demo_extras(*, user: User, portfolio: Portfolio) -> None:
    """The demo statement, imported like any upload (idempotent: a second run adds nothing).
    Its rows carry their own prices, which land in the price store, so the demo has values
    and history without internet."""
    if Import.objects.filter(portfolio=portfolio, file_name=DEMO_STATEMENT.name).exists():
        return
    with DEMO_STATEMENT.open("rb") as stream:
        statement_import(
            portfolio=portfolio, user=user, stream=stream, file_name="coinbase-demo.csv"
        )
