"""Template helpers of the dashboard: ``{% load ui %}``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html

from currencies.selectors import currency_code_titles
from dashboard.display import (
    Unit,
    explorer_tx_url,
    format_money,
    format_percent,
    format_quantity,
    shorten_middle,
)
from portfolios.selectors import portfolio_menu

register = template.Library()

# Small line icons (24x24, drawn with the current text colour), inlined so nothing is fetched.
ICONS = {
    "external": '<path d="M14 4h6v6"/><path d="M20 4 11 13"/><path d="M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "edit": '<path d="M4 20h4L19 9l-4-4L4 16z"/>',
    "trash": '<path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/>',
    "chevron": '<path d="m6 9 6 6 6-6"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>',
    "folder": '<path d="M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z"/>',
    "copy": '<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V5a1 1 0 0 0-1-1H5a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3"/>',
    "warning": '<path d="M12 3 2 21h20z"/><path d="M12 10v5M12 18v.01"/>',
    "refresh": '<path d="M20 11a8 8 0 0 0-14.9-3.9L4 8.5"/><path d="M4 4v4.5h4.5"/><path d="M4 13a8 8 0 0 0 14.9 3.9L20 15.5"/><path d="M20 20v-4.5h-4.5"/>',
    "upload": '<path d="M12 16V4"/><path d="m7 9 5-5 5 5"/><path d="M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3"/>',
    "check": '<path d="m5 12 5 5 9-10"/>',
    "x": '<path d="M6 6l12 12M18 6 6 18"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
}


@register.simple_tag
def icon(name: str) -> str:
    return format_html(
        '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{}</svg>',
        _safe(ICONS[name]),
    )


def _safe(markup: str) -> Any:
    from django.utils.safestring import mark_safe

    return mark_safe(markup)  # noqa: S308 - constant markup defined above


@register.simple_tag(takes_context=True)
def nav_portfolios(context: template.Context) -> Any:
    """The signed-in user's portfolios for the top bar (one query, only when rendered)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return []
    return portfolio_menu(user=user)


@register.inclusion_tag("dashboard/_currency_datalist.html", takes_context=True)
def currency_datalist(context: template.Context) -> dict[str, Any]:
    """The codes the signed-in user may use: listed ones and those their statements brought."""
    user = context.get("user")
    signed_in = user if user is not None and user.is_authenticated else None
    return {"codes": currency_code_titles(user=signed_in)}


@register.filter
def money(value: Decimal | None, currency: Any) -> str:
    """``{{ amount|money:currency }}``: "$1,234.56" or "1.5 BTC"."""
    if value is None:
        return "—"
    return format_money(value, Unit.of(currency))


@register.filter
def quantity(value: Decimal | None, currency: Any) -> str:
    """``{{ amount|quantity:currency }}``: the number alone, at the currency's precision."""
    if value is None:
        return "—"
    return format_quantity(value, currency.decimals)


@register.filter
def shorten(text: str) -> str:
    return shorten_middle(str(text))


@register.filter
def age(value: Any, fallback: str = "not fetched yet") -> str:
    """``<time>`` with "3 minutes ago" and the exact UTC time on hover, or ``fallback``."""
    if not value:
        return fallback
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        value.strftime("%Y-%m-%d %H:%M UTC"),
        naturaltime(value),
    )


@register.filter
def pair_with(first: list[Any], second: list[Any]) -> list[tuple[Any, Any]]:
    """``{% for name, text in scopes|pair_with:scopes_descriptions %}``."""
    return list(zip(first or [], second or [], strict=False))


@register.filter
def urlhost(url: str) -> str:
    """``https://app.example/callback -> "app.example"``."""
    from urllib.parse import urlsplit

    return urlsplit(str(url)).netloc or str(url)


@register.filter
def percent(share: Decimal | None) -> str:
    """``{{ 0.4251|percent }}``: "42.5%"."""
    if share is None:
        return "—"
    return format_percent(share)


@register.filter
def signed_money(value: Decimal | None, currency: Any) -> str:
    """``{{ change|signed_money:currency }}``: "+$120.00", "-$3.50", "$0.00"."""
    if value is None:
        return "—"
    text = format_money(value, Unit.of(currency))
    return text if text.startswith("-") or value == 0 else f"+{text}"


@register.filter
def signed_percent(share: Decimal | None) -> str:
    if share is None:
        return ""
    text = format_percent(share)
    return text if text.startswith("-") or share == 0 else f"+{text}"


@register.filter
def trend(value: Decimal | None) -> str:
    """A CSS class for a change: "up", "down" or "flat"."""
    if not isinstance(value, (Decimal, int)) or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


@register.filter
def tx_url(reference: str, currency: Any) -> str | None:
    """``{{ txn.reference|tx_url:address.currency }}``: the chain explorer's page of a
    transaction, or None."""
    return explorer_tx_url(
        reference, currency.code, is_ethereum_token=bool(currency.is_ethereum_token)
    )


@register.simple_tag(takes_context=True)
def demo_notice(context: template.Context) -> bool:
    """Whether the page shows demo data: the demo user, or a portfolio loaded as demo."""
    from demo.loader import DEMO_EMAIL
    from portfolios.models import Portfolio

    portfolio = context.get("portfolio")
    user = context.get("user")
    if portfolio is not None and getattr(portfolio, "source", "") == Portfolio.SOURCE_DEMO:
        return True
    return bool(user is not None and user.is_authenticated and user.email == DEMO_EMAIL)


@register.simple_tag(takes_context=True)
def service_outage(context: template.Context) -> bool:
    """Whether Redis (the task queue, the cache) is down, for the banner of every signed-in
    page: what is stored is shown, what needs a fetch waits in the outbox."""
    from core.cache import cache_degraded
    from core.outbox import queue_down

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    return cache_degraded() or queue_down()


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters changed (None or "" removes one), for
    paging and filter links: ``href="?{% query_with page=2 %}"``."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = value
    return query.urlencode()


@register.filter
def iso(text: str | None) -> Any:
    """An ISO 8601 string (as the API answers) as a datetime, for ``|date``."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


@register.filter
def signed_amount(text: str | None, code: str) -> str:
    """A plain amount string of the API ("-0.2") with its sign and code: "-0.2 ETH"."""
    if text in (None, ""):
        return "—"
    amount = Decimal(str(text))
    sign = "+" if amount > 0 else ""
    return f"{sign}{format_quantity(amount, 18)} {str(code).upper()}"


@register.filter
def kind_label(kind: str) -> str:
    from dashboard.forms_ledger import kind_label as label

    return label(kind)


@register.filter
def sentence(text: str) -> str:
    """A service's problem as a sentence (capital first letter, full stop)."""
    from dashboard.forms import sentence as as_sentence

    return as_sentence(str(text))


@register.filter
def filesize(n: int) -> str:
    return f"{n / 2**20:.3g} MiB" if n >= 2**20 else f"{n} bytes"


@register.filter
def get(mapping: Any, key: str) -> Any:
    """``{{ values|get:"price-store" }}`` for keys that are not identifiers."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def flow_sign(kind: str) -> str:
    """ "+" for a kind that adds to the wallet, "−" for one that takes away."""
    from ledger.kinds import INFLOWS, Kind

    try:
        return "+" if Kind(kind) in INFLOWS else "−"
    except ValueError:
        return ""


@register.filter
def split(text: str) -> list[str]:
    return str(text).split()


@register.filter
def field(form: Any, name: str) -> Any:
    """``{{ form|field:"from" }}``: a bound field by name (for names that are keywords)."""
    return form[name]


@register.filter
def normalize(value: Decimal | None) -> str:
    """An exact amount without trailing zeros, thousands grouped: "1,234.5"."""
    if value is None:
        return "—"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def valued_in(values: list[Any], code: str) -> Any:
    """The item of ``values`` whose ``currency`` is ``code`` (cost-basis valuations)."""
    for item in values or []:
        if getattr(item, "currency", None) == code:
            return item
    return None


@register.filter
def words(code: str) -> str:
    """``missing_value -> "missing value"``."""
    return str(code).replace("_", " ")
