"""Template helpers of the dashboard: ``{% load ui %}``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html

from dashboard.display import Unit, format_money, format_quantity, shorten_middle
from dashboard.selectors import currency_codes, portfolio_menu

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


@register.inclusion_tag("dashboard/_currency_datalist.html")
def currency_datalist() -> dict[str, Any]:
    return {"codes": currency_codes()}


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
