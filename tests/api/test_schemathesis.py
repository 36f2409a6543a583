"""The served schema is the truth: schemathesis reads /api/schema and sends every operation
generated requests (valid and invalid ones) with a token holding every scope, against seeded
data so ids exist. Every answer must be documented (status code, content type, body schema),
no answer may be a server error, and a request the schema calls valid must not be refused.

Bounded for CI: a few examples per operation, derandomized, in-process through the WSGI app.

Decisions where the schema cannot say everything (each narrows one check, nothing more):
- 503 is not a server error here: it is the contract's ``Not ready`` of an async route (tasks
  never run inside the test's transaction, so fetched data never arrives); status-code
  conformance still requires every 503 to be documented on its route.
- A request may be schema-valid and still 422 where validity depends on data the schema cannot
  enumerate: currency codes (an unknown one is ``unknown currency 'xyz'``), address checksums,
  a reporting currency of this portfolio, ledger filters naming wallets or kinds, dates in a
  free-text parameter, a statement's content. Those operations (``DATA_DEPENDENT``) accept 422
  as an answer to valid data; every other operation must accept every schema-valid request.
- Nested bodies (offset balances, method changes) are sent as JSON: schemathesis encodes a
  nested form field as JSON text, not the bracket notation the API reads; bracket bodies have
  their own tests (test_bracket_bodies.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from oauth2_provider.models import AccessToken
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import BTC_ADDRESS

pytestmark = pytest.mark.django_db

STATEMENT = Path(__file__).parent.parent / "ingest" / "statements" / "v2.csv"
EVERY_SCOPE = "public info read write delete admin"
P = "^/api/portfolios/{portfolio_id}"
# Operations whose schema-valid input can name data that does not exist (module docstring).
DATA_DEPENDENT = [
    "^/api/portfolios$",
    f"{P}$",
    f"{P}/addresses",
    f"{P}/offsets",
    f"{P}/converted/history$",
    f"{P}/cost-basis/(lots|disposals|settings)$",
    f"{P}/transactions",
    f"{P}/ingest/csv$",
    f"{P}/accounts",  # an exchange id ccxt does not know, credentials it refuses
    f"{P}/history",  # free-text dates
    f"{P}/analytics",  # a reporting currency of this portfolio
    # The v1 surface: a name unique per user, targets summing to 1 over known assets, a
    # reporting currency of the portfolio, a statement's content.
    "^/api/v1/portfolio/$",
    "^/api/v1/portfolio/{portfolio_id}$",
    "^/api/v1/portfolio/history",
    "^/api/v1/portfolio/ingest/csv$",
]
_OK_FOR_VALID = ["2xx", "3xx", "401", "403", "404", "409", "429", "503"]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 11,
        # A NUL anywhere in the address, query or headers is a 400 before any view runs
        # (tests/api/test_hostile_inputs.py); strings here are otherwise free.
        "generation": {"allow-x00": False},
        "checks": {
            "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
            "positive_data_acceptance": {"expected-statuses": _OK_FOR_VALID},
            # Not one of the promises (no 5xx, no undocumented status, answers as documented,
            # no valid request refused): the parsers are lenient where nothing is lost, e.g. a
            # multipart body with no part is an empty PATCH, answered 200 with nothing changed.
            "negative_data_rejection": {"enabled": False},
        },
        "operations": [
            {
                "include-path-regex": pattern,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": [*_OK_FOR_VALID, "422"]}
                },
            }
            for pattern in DATA_DEPENDENT
        ],
    }
)


@pytest.fixture
def seeded(alice, settings) -> dict[str, Any]:
    """Alice's portfolio with an address, an offset and an imported statement (so imports,
    ledger rows and their ids exist) with its cost basis built, a token with every scope, and outside services pointed
    at a closed local port (nothing runs them inside the test's transaction anyway)."""
    from addresses.services import address_create
    from costbasis.build import costbasis_rebuild_now
    from ingest.services import statement_import
    from ledger.models import LedgerEntry
    from offsets.services import offset_create
    from portfolios.services import portfolio_create

    closed = "http://127.0.0.1:9"
    settings.ESPLORA_BTC_URL = settings.ESPLORA_LTC_URL = closed
    settings.ETHEREUM_RPC_URL = settings.ETHERSCAN_URL = settings.COINGECKO_URL = closed
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    portfolio = portfolio_create(
        user=alice, title="Main", currency_codes=["btc", "usd"], source="private-api"
    )
    address = address_create(
        portfolio=portfolio,
        title="Cold wallet",
        address=BTC_ADDRESS,
        currency_code="btc",
        source="private-api",
    )
    offset = offset_create(
        portfolio=portfolio,
        title="Paper wallet",
        balances=[{"currency": "btc", "balance": "10"}],
        source="private-api",
    )
    with STATEMENT.open("rb") as stream:
        imported = statement_import(
            portfolio=portfolio, user=alice, stream=stream, file_name="v2.csv"
        )
    costbasis_rebuild_now(portfolio=portfolio, force=True)  # cost-basis routes answer 200
    entry = LedgerEntry.objects.filter(wallet__portfolio=portfolio).first()
    token = AccessToken.objects.create(
        user=alice,
        token="schemathesis-every-scope",
        expires=timezone.now() + timedelta(hours=1),
        scope=EVERY_SCOPE,
    )
    return {
        "token": token.token,
        "ids": {
            "portfolio_id": portfolio.pk,
            "address_id": address.pk,
            "offset_id": offset.pk,
            "import_id": imported.imp.pk,
            "entry_id": entry.pk if entry else 1,
        },
    }


@pytest.fixture(autouse=True)
def _keep_the_connection():
    """The WSGI app runs in this thread, inside the test's transaction: as Django's test client
    does, the end of a request must not close the connection that transaction is on."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Loaded at collection (generating the schema reads no data). schemathesis's lazy
# ``from_fixture`` does not run under pytest 9 (it reads a private attribute pytest dropped).
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", WSGIHandler(), config=CONFIG)


def _nested(value: Any) -> bool:
    return isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values())


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_schema(case, seeded):
    # A positive id names the seeded object (0 and negative ones stay: those are 404s).
    for name, value in (case.path_parameters or {}).items():
        if name in seeded["ids"] and isinstance(value, int) and value > 0:
            case.path_parameters[name] = seeded["ids"][name]
    if case.media_type and case.media_type != "application/json" and _nested(case.body):
        case.media_type = "application/json"
    case.call_and_validate(headers={"Authorization": f"Bearer {seeded['token']}"})
