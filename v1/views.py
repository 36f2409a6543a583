"""The ``/api/v1/portfolio`` routes. Each calls the services and selectors ``/api/`` uses and
only translates shapes: plain JSON, UUID ids, the seed's field names, 422 ``detail`` lists."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts import services as account_services
from accounts.freshness import account_data_ready
from accounts.selectors import account_balances, account_list
from core.api import CURRENCY_TITLES, ApiView
from core.exceptions import NotReady, ValidationFailed
from core.money import format_amount
from costbasis import services as costbasis_store
from costbasis.api import LotSerializer, summary_data
from costbasis.selectors import costbasis_lots, costbasis_summary
from currencies.selectors import currency_titles
from ingest import services as ingest_services
from ingest.api import import_answer, with_currency_refs
from ledger.models import LedgerEntry
from performance.selectors import range_parse, rows_performance, series_rows
from portfolios import services
from portfolios.api_analytics import AnalyticsSerializer
from portfolios.api_totals import total_rows_data
from portfolios.history_selectors import portfolio_first_day, portfolio_value_history
from portfolios.models import Portfolio
from portfolios.selectors import (
    SPOT,
    portfolio_target_analytics,
    portfolio_targets,
    portfolio_valuation,
    reporting_currencies,
)
from portfolios.services_refresh import portfolio_refresh
from portfolios.targets import target_fractions
from users.requests import AuthenticatedRequest
from v1.errors import Invalid, Missing, problem, v1_exception_handler
from v1.params import (
    bool_param,
    check_user_id,
    int_param,
    portfolio_by_uuid,
    portfolio_of_request,
)

TAG = ["v1 portfolio"]
MAX_NAME = 100
BACKFILL_SOURCES = ("trade_history_sync",)


def _day_time(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


class V1View(ApiView):
    """Plain JSON (no envelope) and the seed's failure bodies; the scopes of ``/api/``."""

    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return v1_exception_handler

    def initial(self, request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # A ``user_id`` on any route must be the token's own user (404 otherwise): the seed
        # passes it as a parameter, and no value of it reaches another user's data.
        if not self.public:
            check_user_id(request.query_params, request.user, required=False)


# --- portfolios ---------------------------------------------------------------------------------


def portfolio_data(portfolio: Portfolio) -> dict[str, Any]:
    """A portfolio in the seed's fields. Values are read from the stored balances and spot
    prices (nothing is fetched here): ``total_value_usd`` is null when USD is not a reporting
    currency or nothing is priced; ``current_allocations`` are fractions of the priced value."""
    valuation = portfolio_valuation(portfolio, prices=SPOT)
    total_usd = valuation.total("usd") if "usd" in valuation.reporting else None
    priced = [row for row in valuation.rows if row.value is not None and row.value > 0]
    whole = sum((row.value for row in priced if row.value is not None), Decimal(0))
    current = (
        {row.currency: format_amount(row.value / whole) for row in priced if row.value}
        if whole
        else {}
    )
    return {
        "portfolio_id": str(portfolio.uuid),
        "user_id": str(portfolio.user.uuid),
        "name": portfolio.title,
        "description": portfolio.description,
        "total_value_usd": format_amount(total_usd) if total_usd is not None else None,
        "target_allocations": {
            code: format_amount(f) for code, f in portfolio_targets(portfolio).items()
        },
        "current_allocations": current,
        "last_rebalanced_at": portfolio.last_rebalanced_at,
        "is_active": portfolio.is_active,
        "created_at": portfolio.created_at,
        "updated_at": portfolio.updated_at,
        "risk_tolerance": portfolio.risk_tolerance,
        "status": portfolio.status,
        "is_default": portfolio.is_default,
        **_total_return(portfolio),
        "tags": list(portfolio.tags),
    }


def _total_return(portfolio: Portfolio) -> dict[str, str | None]:
    """``history/performance?timeframe=ALL`` in USD: its absolute and percentage change. Null
    while the series was never built (its first build is then asked for) or when USD is not a
    reporting currency."""
    usd = next((c for c in reporting_currencies(portfolio) if c.code == "usd"), None)
    none: dict[str, str | None] = {"total_return": None, "total_return_percentage": None}
    if usd is None:
        return none
    try:
        span = range_parse({"timeframe": "ALL"}, first_day=portfolio_first_day(portfolio=portfolio))
        rows = series_rows(portfolio=portfolio, currency_id=usd.pk, span=span)
    except NotReady:
        return none
    p = rows_performance(rows)
    return {
        "total_return": format_amount(p.absolute_change) if p.absolute_change is not None else None,
        "total_return_percentage": (
            format_amount(p.percentage_change) if p.percentage_change is not None else None
        ),
    }


def _body(request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise Invalid([problem(["body"], "Input should be a valid dictionary", "dict_type")])
    return dict(request.data)


def _fields(data: dict[str, Any], *, creating: bool) -> tuple[str | None, dict[str, Any]]:
    """The name and the ``services.PortfolioFields`` of a create or update body; every problem
    at once, each with its place."""
    problems: list[dict] = []
    fields: dict[str, Any] = {}
    name = data.get("name")
    if name is None:
        if creating:
            problems.append(problem(["body", "name"], "Field required", "missing"))
    elif not isinstance(name, str) or not name.strip():
        problems.append(
            problem(["body", "name"], "Input should be a non-empty string", "string_type", name)
        )
    elif len(name) > MAX_NAME:
        problems.append(
            problem(
                ["body", "name"],
                f"String should have at most {MAX_NAME} characters",
                "string_too_long",
                name,
            )
        )
    if "target_allocations" in data or creating:
        raw = data.get("target_allocations")
        if raw is None and creating:
            problems.append(problem(["body", "target_allocations"], "Field required", "missing"))
        elif raw is not None:
            try:
                fields["target_allocations"] = target_fractions(raw)
            except ValidationFailed as exc:
                problems.extend(
                    problem(["body", "target_allocations"], p, "value_error", raw)
                    for p in exc.problems
                )
    if data.get("description") is not None:
        if not isinstance(data["description"], str):
            problems.append(
                problem(["body", "description"], "Input should be a valid string", "string_type")
            )
        else:
            fields["description"] = data["description"]
    if data.get("risk_tolerance") is not None:
        fields["risk_tolerance"] = str(data["risk_tolerance"]).strip().lower()
    for flag in ("is_active", "is_default"):
        if data.get(flag) is not None:
            if not isinstance(data[flag], bool):
                problems.append(
                    problem(
                        ["body", flag], "Input should be a valid boolean", "bool_type", data[flag]
                    )
                )
            else:
                fields[flag] = data[flag]
    if data.get("tags") is not None:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(
                problem(["body", "tags"], "Input should be a list of strings", "list_type", tags)
            )
        else:
            fields["tags"] = tags
    if data.get("initial_value_usd") is not None:
        try:
            Decimal(str(data["initial_value_usd"]))
        except ArithmeticError:
            problems.append(
                problem(
                    ["body", "initial_value_usd"],
                    "Input should be a valid decimal",
                    "decimal_parsing",
                    data["initial_value_usd"],
                )
            )
    if problems:
        raise Invalid(problems)
    return (name.strip() if isinstance(name, str) else None), fields


def _name_taken(user, name: str, *, other_than: Portfolio | None = None) -> None:
    """422 when another of the user's portfolios has this name. Called inside the write's
    transaction after the user's row is locked (``portfolios.services.user_lock``), so two
    requests naming two portfolios alike at the same moment take turns and the second one is
    refused."""
    taken = Portfolio.objects.filter(user=user, title=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise Invalid(
            [problem(["body", "name"], f"a portfolio named '{name}' exists", "value_error", name)]
        )


def _service(call):
    """A service's sentences as 422 ``body`` problems."""
    try:
        return call()
    except ValidationFailed as exc:
        raise Invalid([problem(["body"], p) for p in exc.problems]) from None


_UUID = {"type": "string", "format": "uuid"}
USER_ID = OpenApiParameter("user_id", _UUID, description="your own user's UUID (another is 404)")
USER_ID_REQUIRED = OpenApiParameter(
    "user_id", _UUID, required=True, description="your own user's UUID (another is 404)"
)
PORTFOLIO_ID = OpenApiParameter(
    "portfolio_id", _UUID, description="a portfolio UUID (default: your default portfolio)"
)
PATH_ID = OpenApiParameter("portfolio_id", _UUID, OpenApiParameter.PATH)
_AMOUNT = {"type": "string", "nullable": True}
_FRACTIONS = {"type": "object", "additionalProperties": {"type": "string"}}
PORTFOLIO_SCHEMA = {
    "type": "object",
    "properties": {
        "portfolio_id": _UUID,
        "user_id": _UUID,
        "name": {"type": "string"},
        "description": {"type": "string"},
        "total_value_usd": _AMOUNT,
        "target_allocations": _FRACTIONS,
        "current_allocations": _FRACTIONS,
        "last_rebalanced_at": {"type": "string", "format": "date-time", "nullable": True},
        "is_active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "risk_tolerance": {"type": "string", "enum": ["conservative", "moderate", "aggressive"]},
        "status": {"type": "string"},
        "is_default": {"type": "boolean"},
        "total_return": _AMOUNT,
        "total_return_percentage": _AMOUNT,
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["portfolio_id", "user_id", "name", "target_allocations", "is_active"],
}
_BODY_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
    "description": {"type": "string", "nullable": True},
    "target_allocations": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "asset code to fraction, summing to 1",
    },
    "risk_tolerance": {"type": "string", "enum": ["conservative", "moderate", "aggressive"]},
    "is_active": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 50}},
}
CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        **_BODY_FIELDS,
        "is_default": {"type": "boolean"},
        "initial_value_usd": {"type": "string", "pattern": r"^[0-9]{1,20}(\.[0-9]{1,18})?$"},
    },
    "required": ["name", "target_allocations"],
}
UPDATE_SCHEMA = {"type": "object", "properties": _BODY_FIELDS}
ROWS = {"type": "array", "items": {"type": "object"}}


class HealthView(V1View):
    public = True

    @extend_schema(tags=TAG, summary="Portfolio health", responses={200: dict})
    def get(self, request) -> Response:
        return Response({"status": "ok"})


class PortfolioListView(V1View):
    @extend_schema(
        tags=TAG,
        operation_id="v1_portfolio_list",
        summary="List portfolios",
        parameters=[
            USER_ID_REQUIRED,
            OpenApiParameter("active_only", bool, description="default true"),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: {"type": "array", "items": PORTFOLIO_SCHEMA}},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        params = request.query_params
        check_user_id(params, request.user, required=True)
        active_only = bool_param(params, "active_only", True)
        limit = int_param(params, "limit", 50, 1, 100)
        offset = int_param(params, "offset", 0, 0)
        rows = Portfolio.objects.filter(user=request.user).select_related("user").order_by("id")
        if active_only:
            rows = rows.filter(is_active=True)
        return Response([portfolio_data(p) for p in rows[offset : offset + limit]])

    @extend_schema(
        tags=TAG,
        summary="Create a portfolio (name unique per user; targets sum to 1)",
        parameters=[USER_ID_REQUIRED],
        request={"application/json": CREATE_SCHEMA},
        responses={201: PORTFOLIO_SCHEMA},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        check_user_id(request.query_params, request.user, required=True)
        name, fields = _fields(_body(request), creating=True)
        assert name is not None
        with transaction.atomic():
            services.user_lock(request.user.pk)
            _name_taken(request.user, name)
            portfolio = _service(
                lambda: services.portfolio_create(
                    user=request.user,
                    title=name,
                    currency_codes=["usd"],
                    source=Portfolio.SOURCE_API,
                    fields=fields,  # type: ignore[arg-type]
                )
            )
        return Response(portfolio_data(portfolio), status=201)


class PortfolioDetailView(V1View):
    @extend_schema(
        tags=TAG,
        operation_id="v1_portfolio_get",
        summary="Get a portfolio",
        parameters=[PATH_ID, USER_ID],
        responses={200: PORTFOLIO_SCHEMA},
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: str) -> Response:
        check_user_id(request.query_params, request.user, required=False)
        portfolio = portfolio_by_uuid(request.user, portfolio_id, ["path", "portfolio_id"])
        return Response(portfolio_data(portfolio))

    @extend_schema(
        tags=TAG,
        summary="Update a portfolio (only the fields sent)",
        parameters=[PATH_ID, USER_ID_REQUIRED],
        request={"application/json": UPDATE_SCHEMA},
        responses={200: PORTFOLIO_SCHEMA},
    )
    def put(self, request: AuthenticatedRequest, portfolio_id: str) -> Response:
        check_user_id(request.query_params, request.user, required=True)
        portfolio = portfolio_by_uuid(request.user, portfolio_id, ["path", "portfolio_id"])
        name, fields = _fields(_body(request), creating=False)
        with transaction.atomic():
            services.user_lock(request.user.pk)
            if name is not None:
                _name_taken(request.user, name, other_than=portfolio)
            _service(
                lambda: services.portfolio_update(
                    portfolio=portfolio,
                    title=name,
                    fields=fields,  # type: ignore[arg-type]
                )
            )
        portfolio.refresh_from_db()
        return Response(portfolio_data(portfolio))

    @extend_schema(
        tags=TAG,
        summary="Delete a portfolio (one holding assets only with force=true)",
        parameters=[
            PATH_ID,
            USER_ID_REQUIRED,
            OpenApiParameter("force", bool, description="default false"),
        ],
        responses={204: None},
    )
    def delete(self, request: AuthenticatedRequest, portfolio_id: str) -> Response:
        check_user_id(request.query_params, request.user, required=True)
        force = bool_param(request.query_params, "force", False)
        portfolio = portfolio_by_uuid(request.user, portfolio_id, ["path", "portfolio_id"])
        holds = (
            portfolio.addresses.exists()
            or portfolio.offsets.exists()
            or portfolio.accounts.exists()
            or LedgerEntry.objects.filter(wallet__portfolio=portfolio).exists()
        )
        if holds and not force:
            raise Invalid(
                [
                    problem(
                        ["query", "force"],
                        "the portfolio holds assets: delete it with force=true",
                        "value_error",
                        False,
                    )
                ]
            )
        services.portfolio_delete(portfolio=portfolio)
        return Response(status=204)


class PortfolioAnalyticsView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Current versus target allocation, drift, trades, concentration (async)",
        parameters=[PATH_ID, USER_ID_REQUIRED],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: str) -> Response:
        check_user_id(request.query_params, request.user, required=True)
        portfolio = portfolio_by_uuid(request.user, portfolio_id, ["path", "portfolio_id"])
        currency = reporting_currencies(portfolio)[0].code
        min_trade = Decimal(str(settings.PORTFOLIO_MIN_TRADE))
        analytics = portfolio_target_analytics(portfolio, currency=currency, min_trade=min_trade)
        titles = currency_titles([currency, *(a.currency for a in analytics.allocations)])
        data = dict(
            AnalyticsSerializer(
                analytics, context={CURRENCY_TITLES: titles, "currency": currency}
            ).data
        )
        data["portfolio_id"] = str(portfolio.uuid)
        data["unpriced"] = analytics.unpriced
        return Response(data)


# --- totals -------------------------------------------------------------------------------------


class BalancesView(V1View):
    @extend_schema(
        tags=TAG,
        summary="An exchange account's balances (async)",
        parameters=[
            OpenApiParameter("exchange", str, description='default "binanceus"'),
            PORTFOLIO_ID,
        ],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        portfolio = portfolio_of_request(request, request.user)
        exchange = (request.query_params.get("exchange") or "binanceus").strip().lower()
        accounts = [a for a in account_list(portfolio=portfolio) if a.exchange == exchange]
        if not accounts:
            raise Missing(f"no {exchange} account in this portfolio")
        answer = []
        for account in accounts:
            account_data_ready(account)
            for row in account_balances(account=account):
                answer.append(
                    {
                        "asset": row.currency.code,
                        "total": format_amount(row.balance),
                        "free": format_amount(row.free) if row.free is not None else None,
                        "used": format_amount(row.used) if row.used is not None else None,
                        "account": account.title,
                        "updated_at": row.updated_at,
                    }
                )
        return Response(
            {"portfolio_id": str(portfolio.uuid), "exchange": exchange, "balances": answer}
        )


class AggregateView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Every source summed, valued in each reporting currency (async)",
        parameters=[PORTFOLIO_ID],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        portfolio = portfolio_of_request(request, request.user)
        valuation = portfolio_valuation(portfolio, prices=SPOT, enqueue=True)
        valuation.waits.raise_not_ready()
        return Response(
            {
                "portfolio_id": str(portfolio.uuid),
                "balances": total_rows_data(valuation.balances),
                "totals": total_rows_data(valuation.totals),
                "unpriced": valuation.unpriced,
            }
        )


class RefreshView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Enqueue a refresh of every source and the prices",
        parameters=[PORTFOLIO_ID],
        request=None,
        responses={200: dict},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        portfolio = portfolio_of_request(request, request.user)
        answer = asdict(portfolio_refresh(portfolio=portfolio))
        others = answer.pop("others")
        answer["accounts"] = others.get("accounts", [])
        answer["portfolio_id"] = str(portfolio.uuid)
        return Response(answer)


class ValueHistoryView(V1View):
    @extend_schema(
        tags=TAG,
        summary="The holdings' value at the end of each day",
        parameters=[
            OpenApiParameter("days", {"type": "integer", "minimum": 1, "maximum": 365}),
            PORTFOLIO_ID,
        ],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        days = int_param(request.query_params, "days", 30, 1, 365)
        portfolio = portfolio_of_request(request, request.user)
        currency = reporting_currencies(portfolio)[0].code
        points = portfolio_value_history(portfolio=portfolio, target=currency, days=days)
        return Response(
            {
                "portfolio_id": str(portfolio.uuid),
                "currency": currency.upper(),
                "days": days,
                "points": [
                    {
                        "date": p.day.isoformat(),
                        "value": format_amount(p.value),
                        "unpriced": list(p.unpriced),
                    }
                    for p in points
                ],
            }
        )


# --- cost basis ---------------------------------------------------------------------------------


class CostBasisView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Cost basis per asset (async)",
        parameters=[PORTFOLIO_ID],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        portfolio = portfolio_of_request(request, request.user)
        freshness = costbasis_store.costbasis_ready(portfolio=portfolio)
        data = summary_data(costbasis_summary(portfolio=portfolio, freshness=freshness))
        return Response({"portfolio_id": str(portfolio.uuid), **data})


class CostBasisLotsView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Open lots (async)",
        parameters=[
            PORTFOLIO_ID,
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        limit = int_param(request.query_params, "limit", 100, 1, 1000)
        offset = int_param(request.query_params, "offset", 0, 0)
        portfolio = portfolio_of_request(request, request.user)
        costbasis_store.costbasis_ready(portfolio=portfolio)
        rows = costbasis_lots(portfolio=portfolio)
        return Response(
            {
                "portfolio_id": str(portfolio.uuid),
                "count": rows.count(),
                "lots": LotSerializer(rows[offset : offset + limit], many=True).data,
            }
        )


class CostBasisRebuildView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Rebuild the lots",
        parameters=[PORTFOLIO_ID],
        request=None,
        responses={200: dict},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        portfolio = portfolio_of_request(request, request.user)
        asked = costbasis_store.costbasis_rebuild(portfolio, force=True)
        return Response(
            {
                "portfolio_id": str(portfolio.uuid),
                "enqueued": True,
                "will_run": asked.will_run,
                "merged": asked.merged,
            }
        )


# --- ingest -------------------------------------------------------------------------------------


class IngestCsvView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Import a Coinbase 'Transaction history' CSV (multipart field `file`)",
        parameters=[OpenApiParameter("dry_run", bool, description="default false"), PORTFOLIO_ID],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={200: dict, 201: dict},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        dry_run = bool_param(request.query_params, "dry_run", False)
        portfolio = portfolio_of_request(request, request.user)
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid([problem(["body", "file"], "Field required", "missing")])
        outcome = ingest_services.statement_import(
            portfolio=portfolio,
            user=request.user,
            stream=upload,
            file_name=upload.name or "statement.csv",
            wallet=None,
            dry_run=dry_run,
        )
        [answer] = with_currency_refs(
            [import_answer(outcome.imp, dry_run=dry_run, missing=outcome.missing)]
        )
        answer["portfolio_id"] = str(portfolio.uuid)
        return Response(answer, status=200 if dry_run else 201)


class IngestBackfillView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Read every exchange account's history again",
        parameters=[
            OpenApiParameter("source", str, enum=list(BACKFILL_SOURCES)),
            OpenApiParameter("dry_run", bool, description="default false"),
            OpenApiParameter("max_pages", {"type": "integer", "minimum": 1, "maximum": 25}),
            PORTFOLIO_ID,
        ],
        request=None,
        responses={200: dict},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        params = request.query_params
        source = params.get("source", BACKFILL_SOURCES[0])
        if source not in BACKFILL_SOURCES:
            raise Invalid(
                [
                    problem(
                        ["query", "source"],
                        f"Input should be {', '.join(repr(s) for s in BACKFILL_SOURCES)}",
                        "literal_error",
                        source,
                    )
                ]
            )
        dry_run = bool_param(params, "dry_run", False)
        max_pages = int_param(params, "max_pages", 3, 1, 25)
        portfolio = portfolio_of_request(request, request.user)
        accounts = [
            {
                "account": account.title,
                "exchange": account.exchange,
                **account_services.account_backfill(account=account, since=None, dry_run=dry_run),
            }
            for account in account_list(portfolio=portfolio)
        ]
        return Response(
            {
                "portfolio_id": str(portfolio.uuid),
                "source": source,
                "dry_run": dry_run,
                "max_pages": max_pages,
                "accounts": accounts,
            }
        )


# --- history ------------------------------------------------------------------------------------

HISTORY_PARAMETERS = [
    OpenApiParameter("timeframe", str, enum=["1D", "1W", "1M", "3M", "1Y", "ALL"]),
    PORTFOLIO_ID,
    OpenApiParameter("currency", str, description="default USD"),
]


def _history(request):
    params = request.query_params
    timeframe = (params.get("timeframe") or "1M").strip().upper()
    try:
        portfolio = portfolio_of_request(request, request.user)
        span = range_parse(
            {"timeframe": timeframe}, first_day=portfolio_first_day(portfolio=portfolio)
        )
    except ValidationFailed as exc:
        raise Invalid(
            [problem(["query", "timeframe"], p, "literal_error", timeframe) for p in exc.problems]
        ) from None
    code = (params.get("currency") or "USD").strip().lower()
    reporting = {c.code: c for c in reporting_currencies(portfolio)}
    if code not in reporting:
        raise Invalid(
            [
                problem(
                    ["query", "currency"],
                    f"currency '{code}' is not a reporting currency of this portfolio",
                    "value_error",
                    params.get("currency"),
                )
            ]
        )
    currency = reporting[code]
    rows = series_rows(portfolio=portfolio, currency_id=currency.pk, span=span)
    return portfolio, span, currency, rows


def history_rows(portfolio: Portfolio, currency, rows) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid5(portfolio.uuid, f"{currency.code}:{row.day.isoformat()}")),
            "user_id": str(portfolio.user.uuid),
            "portfolio_id": str(portfolio.uuid),
            "total_value": format_amount(row.value) if row.value is not None else None,
            "currency": currency.code.upper(),
            "recorded_at": _day_time(row.day),
            "created_at": _day_time(row.day),
            "metadata": {"unpriced": list(row.unpriced), "flow": format_amount(row.flow)},
        }
        for row in rows
    ]


def performance_data(span, currency, rows) -> dict[str, Any]:
    p = rows_performance(rows)

    def amount(value):
        return format_amount(value) if value is not None else None

    return {
        "period_start": _day_time(span.start),
        "period_end": _day_time(span.end),
        "timeframe": span.timeframe,
        "starting_value": amount(p.start_value),
        "ending_value": amount(p.end_value),
        "current_value": amount(p.end_value),
        "highest_value": amount(p.high_value),
        "lowest_value": amount(p.low_value),
        "absolute_change": amount(p.absolute_change),
        "absolute_gain": amount(p.absolute_change),
        "percentage_change": amount(p.percentage_change),
        "percentage_gain": amount(p.percentage_change),
        "is_profitable": p.absolute_change is not None and p.absolute_change > 0,
        "return_rate": amount(p.twr),
        "max_drawdown": amount(p.max_drawdown),
        "volatility": amount(p.volatility),
        "total_data_points": p.data_points,
        "currency": currency.code.upper(),
    }


class HistoryView(V1View):
    @extend_schema(
        tags=TAG,
        summary="The daily value series (async)",
        parameters=HISTORY_PARAMETERS,
        responses={200: ROWS},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        portfolio, _, currency, rows = _history(request)
        return Response(history_rows(portfolio, currency, rows))


class PerformanceView(V1View):
    @extend_schema(
        tags=TAG,
        summary="Performance of the range (async)",
        parameters=HISTORY_PARAMETERS,
        responses={200: dict},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        _, span, currency, rows = _history(request)
        return Response(performance_data(span, currency, rows))


class ExportView(V1View):
    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file kind here, not a renderer (DRF's URL format override).
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        tags=TAG,
        summary="The daily rows as CSV (or JSON with format=json) (async)",
        parameters=[*HISTORY_PARAMETERS, OpenApiParameter("format", str, enum=["csv", "json"])],
        responses={(200, "text/csv"): str, (200, "application/json"): dict},
    )
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        kind = (request.query_params.get("format") or "csv").strip().lower()
        if kind not in ("csv", "json"):
            raise Invalid(
                [
                    problem(
                        ["query", "format"],
                        "Input should be 'csv' or 'json'",
                        "literal_error",
                        kind,
                    )
                ]
            )
        portfolio, span, currency, rows = _history(request)
        data = history_rows(portfolio, currency, rows)
        name = f"portfolio-{portfolio.uuid}-{currency.code}-{span.start}-{span.end}.{kind}"
        if kind == "json":
            body = json.dumps({"rows": data, "performance": performance_data(span, currency, rows)})
            response = HttpResponse(body, content_type="application/json")
        else:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["recorded_at", "total_value", "currency"])
            for row in data:
                writer.writerow([row["recorded_at"], row["total_value"] or "", row["currency"]])
            response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
