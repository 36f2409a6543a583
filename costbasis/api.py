"""Cost-basis API: the summary, open lots, disposals, the CSV tax report, settings and rebuild.

Results are built in the background (costbasis.services): before the first build a GET
enqueues one and answers 503 ``Not ready`` with ``try_again_at``; once built, a GET answers the
stored results (``build.stale`` true when the ledger or the settings changed since) and
enqueues a rebuild when they are stale.
"""

from __future__ import annotations

from datetime import UTC

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    CURRENCY_TITLES,
    PAGING,
    AmountField,
    CurrencyRefField,
    UtcDateTimeField,
    paginate,
)
from core.exceptions import ValidationFailed
from costbasis import services as store
from costbasis.filters import FIRST_YEAR, LAST_YEAR, DisposalFilter, LotFilter, YearField
from costbasis.inputs import CostBasisSettingsInputSerializer
from costbasis.models import CostBasisSettings
from costbasis.selectors import (
    build_zone,
    costbasis_disposals,
    costbasis_lots,
    costbasis_summary,
    report_csv,
    source_external_id,
)
from currencies.selectors import currency_titles
from ledger.api.serializers import WalletRefSerializer
from portfolios.api_base import PortfolioScopedView
from users.requests import AuthenticatedRequest

# --- serializers -------------------------------------------------------------------------------


def pool_name(pool: str) -> str:
    """universal, wallet, elsewhere (the user's untracked wallets) or in_transit."""
    if not pool:
        return "universal"
    if pool == "elsewhere":
        return "elsewhere"
    if pool.startswith("in-transit:"):
        return "in_transit"
    return "wallet"


class SettingsSerializer(serializers.Serializer):
    method = serializers.CharField()
    pooling = serializers.CharField()
    method_changes = serializers.ListField(child=serializers.DictField())
    unclassified_out_to_elsewhere = serializers.BooleanField()
    tax_time_zone = serializers.CharField(
        source="portfolio.user.tax_time_zone",
        help_text="the user's (all portfolios): an IANA name whose calendar dates decide the "
        "holding period (long term: sold after the first anniversary) and the tax year",
    )
    updated_at = UtcDateTimeField(allow_null=True)


class BuildSerializer(serializers.Serializer):
    built_at = UtcDateTimeField()
    stale = serializers.BooleanField()
    status = serializers.CharField()
    error = serializers.CharField()
    mode = serializers.CharField()
    duration = serializers.FloatField()
    entries = serializers.IntegerField(source="entries_processed")


class ValuationSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    cost = AmountField()
    market_value = AmountField()
    unrealized_gain = AmountField()


class PositionSerializer(serializers.Serializer):
    """``quantity`` is what the portfolio holds (as ``/balances`` answers it); ``cost``,
    ``average_unit_cost`` and ``values`` are of the ``lots_quantity`` part of it that open lots
    cover; ``without_lots`` is the rest (``offsets`` of it noted by hand); ``elsewhere`` was
    sent out of tracked wallets: not held, its lots costing ``elsewhere_cost``."""

    currency = CurrencyRefField()
    quantity = AmountField()
    lots_quantity = AmountField()
    without_lots = AmountField()
    offsets = AmountField()
    elsewhere = AmountField()
    cost = AmountField()
    elsewhere_cost = AmountField()
    average_unit_cost = AmountField()
    values = ValuationSerializer(many=True)


class TotalSerializer(ValuationSerializer):
    unpriced = serializers.ListField(child=serializers.CharField())


class RealizedSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    proceeds = AmountField()
    cost = AmountField()
    short_term = AmountField()
    long_term = AmountField()
    total = AmountField()


class AssetYearSerializer(RealizedSerializer):
    """A year's realized gains of one asset, and its income that year."""

    currency = CurrencyRefField()
    income = AmountField()


class MissingSerializer(serializers.Serializer):
    currency = CurrencyRefField()
    quantity = AmountField()
    count = serializers.IntegerField()
    transactions = serializers.ListField(child=serializers.IntegerField())


def summary_data(summary) -> dict:
    build = summary.build
    build_info = {
        "built_at": build.built_at,
        "stale": summary.stale,
        "status": build.status,
        "error": build.error,
        "mode": build.mode,
        "duration": build.duration,
        "entries_processed": build.entries_processed,
    }
    # valuations and totals name their reporting currency by code: one query for the titles
    context = {CURRENCY_TITLES: currency_titles(t.currency for t in summary.totals)}
    return {
        "currency": CurrencyRefField().to_representation(build.currency),
        "settings": SettingsSerializer(summary.settings).data,
        "build": BuildSerializer(build_info).data,
        "assets": PositionSerializer(summary.positions, many=True, context=context).data,
        "totals": TotalSerializer(summary.totals, many=True, context=context).data,
        "realized": RealizedSerializer(summary.realized, many=True).data,
        "income": [
            {"year": year, "value": AmountField().to_representation(value)}
            for year, value in summary.income
        ],
        "by_asset": AssetYearSerializer(summary.by_asset, many=True).data,
        "missing_acquisitions": MissingSerializer(summary.missing, many=True).data,
        "flags": [{"code": code, "count": count} for code, count in summary.flags.items()],
    }


class LotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    currency = CurrencyRefField(source="asset")
    pool = serializers.SerializerMethodField()
    wallet = WalletRefSerializer(allow_null=True)
    transaction = serializers.IntegerField(source="source_entry_id")
    external_id = serializers.SerializerMethodField()
    acquired_at = UtcDateTimeField()
    original_quantity = AmountField()
    remaining_quantity = AmountField()
    cost = AmountField()
    unit_cost = AmountField()
    remaining_cost = AmountField()
    estimated = serializers.BooleanField()

    def get_pool(self, obj) -> str:
        return pool_name(obj.pool)

    def get_external_id(self, obj) -> str | None:
        return source_external_id(obj.source_external_id, obj.source_reference)


class LotUseSerializer(serializers.Serializer):
    transaction = serializers.IntegerField(source="source_entry_id", allow_null=True)
    external_id = serializers.SerializerMethodField()
    acquired_at = UtcDateTimeField()
    quantity = AmountField()
    cost = AmountField()
    proceeds = AmountField()
    gain = AmountField()
    term = serializers.SerializerMethodField()

    def get_term(self, obj) -> str:
        return "long" if obj.long_term else "short"

    def get_external_id(self, obj) -> str | None:
        if obj.source_entry_id is None:  # the missing part of an oversell
            return None
        return source_external_id(obj.source_external_id, obj.source_reference)


class DisposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.IntegerField(source="entry_id")
    external_id = serializers.SerializerMethodField(
        help_text="the row's id at its source: the Coinbase ID, or the chain transaction id"
    )
    kind = serializers.CharField()
    at = UtcDateTimeField()
    currency = CurrencyRefField(source="asset")
    pool = serializers.SerializerMethodField()
    wallet = WalletRefSerializer(allow_null=True)
    method = serializers.CharField()
    quantity = AmountField()
    proceeds = AmountField()
    cost = AmountField()
    gain = AmountField()
    missing_quantity = AmountField()
    lots = LotUseSerializer(many=True, source="lots.all")

    def get_pool(self, obj) -> str:
        return pool_name(obj.pool)

    def get_external_id(self, obj) -> str | None:
        return source_external_id(obj.entry_external_id, obj.entry_reference)


def settings_data(settings: CostBasisSettings) -> dict:
    return SettingsSerializer(settings).data


# --- views -------------------------------------------------------------------------------------


def _checked(filterset_class, request: Request, queryset, **kwargs):
    filters = filterset_class(request.query_params, queryset=queryset, user=request.user, **kwargs)
    if not filters.is_valid():
        raise ValidationFailed(filters.problems)
    return filters


def _filtered(filterset_class, request: Request, queryset):
    return _checked(filterset_class, request, queryset).qs


YEAR_SCHEMA = {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}


class CostBasisView(PortfolioScopedView):
    @extend_schema(
        summary="Cost basis per asset (valued in each reporting currency), realized gains and "
        "income per year and per asset and year (by_asset: {currency, year, proceeds, cost, "
        "short_term, long_term, total, income}, sorted by code then year; years of the user's "
        "tax time zone), missing acquisitions (async: 503 Not ready before the first build)",
        responses=inline_serializer("CostBasis", {"currency": serializers.DictField()}),
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        freshness = store.costbasis_ready(portfolio=self.portfolio)
        return Response(
            summary_data(costbasis_summary(portfolio=self.portfolio, freshness=freshness))
        )


class CostBasisLotsView(PortfolioScopedView):
    @extend_schema(
        parameters=[
            OpenApiParameter("asset", str, description="currency code(s), comma-separated"),
            OpenApiParameter("wallet", str, description="wallet id(s), comma-separated"),
            *PAGING,
        ],
        responses=LotSerializer(many=True),
        summary="Open lots by asset and acquisition time, paged (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        rows = _filtered(LotFilter, request, costbasis_lots(portfolio=self.portfolio))
        store.costbasis_ready(portfolio=self.portfolio)
        return Response(paginate(request, rows, lambda page: LotSerializer(page, many=True).data))


class CostBasisDisposalsView(PortfolioScopedView):
    @extend_schema(
        parameters=[
            OpenApiParameter("asset", str, description="currency code(s), comma-separated"),
            OpenApiParameter(
                "year", YEAR_SCHEMA, description="year of the disposal in the user's tax time zone"
            ),
            *PAGING,
        ],
        responses=DisposalSerializer(many=True),
        summary="Disposals in time order, each with the lots it used, paged (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        disposals = costbasis_disposals(portfolio=self.portfolio)
        _checked(DisposalFilter, request, disposals, zone=UTC)  # a bad filter is 422 at once
        # A year's bounds are those of the zone the stored results were computed in.
        zone = build_zone(store.costbasis_ready(portfolio=self.portfolio).build)
        rows = _checked(DisposalFilter, request, disposals, zone=zone).qs
        return Response(
            paginate(request, rows, lambda page: DisposalSerializer(page, many=True).data)
        )


class CostBasisReportView(PortfolioScopedView):
    """A text/csv answer (not enveloped); its errors are still the JSON envelope."""

    def perform_content_negotiation(self, request, force=False):
        # Errors are rendered as JSON whatever the client accepts (e.g. Accept: text/csv).
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year", YEAR_SCHEMA, required=True, description="year in the user's tax time zone"
            )
        ],
        responses={(200, "text/csv"): str},
        summary="Realized gains of a year as CSV, one line per lot used, Form 8949-like, with "
        "totals lines (short-term, long-term, all) at the end (async)",
    )
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> HttpResponse:
        raw = request.query_params.get("year")
        if not raw:
            raise ValidationFailed("year is required, for example ?year=2024")
        try:
            year = YearField().clean(raw)
        except Exception as exc:  # forms.ValidationError: its sentence
            raise ValidationFailed(list(getattr(exc, "messages", [str(exc)])))
        build = store.costbasis_ready(portfolio=self.portfolio).build
        response = HttpResponse(
            report_csv(portfolio=self.portfolio, build=build, year=year),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="cost-basis-{self.portfolio.pk}-{year}.csv"'
        )
        return response


class CostBasisSettingsView(PortfolioScopedView):
    @extend_schema(responses=SettingsSerializer, summary="How the cost basis is computed")
    def get(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        return Response(settings_data(store.costbasis_settings_get(portfolio=self.portfolio)))

    @extend_schema(
        request=CostBasisSettingsInputSerializer,
        responses=SettingsSerializer,
        summary="Change the method, pooling, method changes by year or the user's tax time zone "
        "(all their portfolios); a change enqueues a rebuild (write scope)",
    )
    def patch(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        changes = CostBasisSettingsInputSerializer.from_request(request, partial=True)
        settings = store.costbasis_settings_update(portfolio=self.portfolio, **changes)
        return Response(settings_data(settings))


REBUILD_ANSWER = inline_serializer(
    "RebuildRequested",
    {
        "enqueued": serializers.BooleanField(
            help_text="always true: a rebuild that does this request's work is queued (a new "
            "one, or the one already waiting)"
        ),
        "will_run": serializers.ChoiceField(
            choices=["full"], help_text="what the next build does: from scratch"
        ),
        "merged": serializers.BooleanField(
            help_text="true when a rebuild was queued already: it now runs from scratch "
            "instead of continuing from the last build"
        ),
    },
)


class CostBasisRebuildView(PortfolioScopedView):
    @extend_schema(
        request=None,
        responses=REBUILD_ANSWER,
        summary="Rebuild from scratch in the background (write scope). A rebuild queued already "
        "is upgraded to one from scratch (merged true) rather than a second one queued: the "
        "request is never dropped",
    )
    def post(self, request: AuthenticatedRequest, portfolio_id: int) -> Response:
        asked = store.costbasis_rebuild(self.portfolio, force=True)
        return Response({"enqueued": True, "will_run": asked.will_run, "merged": asked.merged})
