"""Dashboard forms. They only collect input: the checks live in the apps' services, which raise
``ValidationFailed`` with the same sentences the API answers; ``add_problems`` puts each
sentence next to the field it is about (or above the form when none fits)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.forms import formset_factory

from addresses.selectors import address_currencies
from core.api import text_input
from core.exceptions import ValidationFailed
from core.scopes import API_KEY_SCOPES, SCOPES
from portfolios.models import Portfolio
from portfolios.services import MAX_DESCRIPTION, PortfolioFields


def sentence(problem: str) -> str:
    """A service's problem as a sentence: capital first letter, full stop."""
    text = problem.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _checked_text(value: Any, name: str, *, required: bool, max_length: int) -> str | None:
    """The API's own text checks (``core.api.text_input``), with its sentences."""
    data = {name: value} if (value or "").strip() or required else {}
    try:
        return text_input(data, name, required=required, max_length=max_length)
    except ValidationFailed as exc:
        raise forms.ValidationError([sentence(p) for p in exc.problems])


def split_codes(text: str) -> list[str]:
    """``"usd, EUR  btc" -> ["usd", "EUR", "btc"]``: order kept, case left to the service."""
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


class ServiceForm(forms.Form):
    """A form whose errors can come from a service. ``problem_fields`` maps a regular
    expression matched at the start of a problem to the field it belongs to."""

    problem_fields: tuple[tuple[str, str], ...] = ()

    def field_for(self, problem: str) -> str | None:
        for pattern, name in self.problem_fields:
            if re.match(pattern, problem, flags=re.IGNORECASE):
                return name
        return None

    def add_problems(self, exc: ValidationFailed) -> None:
        for problem in exc.problems:
            self.add_error(self.field_for(problem), sentence(problem))


TEXT = {"class": "text"}


class PortfolioForm(ServiceForm):
    title = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 100, "required": True, "autocomplete": "off"}),
    )
    currencies = forms.CharField(
        label="Reporting currencies",
        required=False,
        help_text="Currency codes in the order you want them, for example: usd, eur, btc.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "list": "currency-codes",
                "required": True,
            }
        ),
    )
    settings_shown = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_DESCRIPTION}),
    )
    risk_tolerance = forms.ChoiceField(
        choices=Portfolio.RiskTolerance.choices, required=False, initial="moderate"
    )
    status = forms.ChoiceField(choices=Portfolio.Status.choices, required=False, initial="created")
    tags = forms.CharField(
        required=False,
        help_text="Separated by commas, for example: long term, core.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    is_default = forms.BooleanField(
        required=False,
        label="Default portfolio",
        help_text="One of your portfolios can be the default; marking this one unmarks the other.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Actively managed")
    problem_fields = (
        (r"title\b", "title"),
        (
            r"(must have at least one reporting currency|unknown currency|currencies\b)",
            "currencies",
        ),
        (r"description\b", "description"),
        (r"risk_tolerance\b", "risk_tolerance"),
        (r"status\b", "status"),
        (r"(tags?\b|a portfolio has at most)", "tags"),
    )

    def clean_title(self) -> str:
        return (
            _checked_text(self.cleaned_data.get("title"), "title", required=True, max_length=100)
            or ""
        )

    def currency_codes(self) -> list[str]:
        return split_codes(self.cleaned_data.get("currencies", ""))

    def settings_fields(self) -> PortfolioFields:
        """The settings to write, or none when the form posted did not show them (a client
        that posts only title and currencies changes nothing else: an absent checkbox would
        otherwise read as "off")."""
        data = self.cleaned_data
        if not data.get("settings_shown"):
            return PortfolioFields()
        return PortfolioFields(
            description=data.get("description", ""),
            risk_tolerance=data.get("risk_tolerance") or "moderate",
            status=data.get("status") or "created",
            tags=split_tags(data.get("tags", "")),
            is_default=bool(data.get("is_default")),
            is_active=bool(data.get("is_active")),
        )

    def settings_boundfields(self) -> list[forms.BoundField]:
        return [self[name] for name in PORTFOLIO_SETTINGS]

    @staticmethod
    def initial_settings(portfolio: Portfolio) -> dict[str, Any]:
        return {
            "description": portfolio.description,
            "risk_tolerance": portfolio.risk_tolerance,
            "status": portfolio.status,
            "tags": ", ".join(portfolio.tags),
            "is_default": portfolio.is_default,
            "is_active": portfolio.is_active,
        }


PORTFOLIO_SETTINGS = ("description", "risk_tolerance", "status", "tags", "is_default", "is_active")


def split_tags(text: str) -> list[str]:
    """``"core, long term"`` -> ``["core", "long term"]``: commas separate tags."""
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


class AddressForm(ServiceForm):
    title = forms.CharField(
        required=False,
        help_text="A name you recognise, such as “Hardware wallet”.",
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
    address = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": 128, "required": True, "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    currency = forms.CharField(required=False, widget=forms.Select(attrs={"required": True}))
    problem_fields = (
        (r"(addresses for currency|unknown currency|currency\b)", "currency"),
        (r"address\b", "address"),
        (r"title\b", "title"),
    )

    def __init__(self, *args: Any, currency_choices: list[tuple[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget.choices = currency_choices

    def clean_title(self) -> str:
        return (
            _checked_text(self.cleaned_data.get("title"), "title", required=False, max_length=100)
            or ""
        )

    def clean_address(self) -> str:
        return (
            _checked_text(
                self.cleaned_data.get("address"), "address", required=True, max_length=128
            )
            or ""
        )


class OffsetForm(ServiceForm):
    title = forms.CharField(
        required=False,
        help_text="Where these coins are, for example “Paper wallet” or “Exchange I don’t track”.",
        widget=forms.TextInput(attrs={"maxlength": 100, "required": True, "autocomplete": "off"}),
    )
    problem_fields = ((r"title\b", "title"),)

    def clean_title(self) -> str:
        return (
            _checked_text(self.cleaned_data.get("title"), "title", required=True, max_length=100)
            or ""
        )


class OffsetBalanceForm(forms.Form):
    currency = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={
                "list": "currency-codes",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    balance = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


OffsetBalanceFormSet = formset_factory(
    OffsetBalanceForm, extra=0, min_num=0, max_num=100, validate_max=True
)


class OffsetEditor:
    """An offset's title form with its formset of (currency, balance) rows. Blank rows are
    ignored; a half-filled row is passed on so that the service names what is missing."""

    EXTRA_ROWS = 3

    def __init__(self, data: Any = None, *, offset: Any = None, balances: list[Any] | None = None):
        initial_rows = [
            {"currency": b.currency.code, "balance": _plain(b.balance)} for b in (balances or [])
        ]
        self.form = OffsetForm(
            data, initial={"title": offset.title} if offset else None, prefix="offset"
        )
        extra: list[dict[str, str]] = [{} for _ in range(self.EXTRA_ROWS)] if data is None else []
        self.formset = OffsetBalanceFormSet(
            data, initial=initial_rows + extra if data is None else None, prefix="balances"
        )
        self._rows: list[int] = []  # service's row number - 1 -> form index

    def is_valid(self) -> bool:
        form_ok = self.form.is_valid()
        return self.formset.is_valid() and form_ok

    @property
    def title(self) -> str:
        return self.form.cleaned_data["title"]

    def balances(self) -> list[dict[str, str]]:
        rows = []
        self._rows = []
        for index, row in enumerate(self.formset.cleaned_data):
            currency = (row.get("currency") or "").strip()
            balance = (row.get("balance") or "").strip()
            if not currency and not balance:
                continue
            item = {}
            if currency:
                item["currency"] = currency
            if balance:
                item["balance"] = balance
            rows.append(item)
            self._rows.append(index)
        return rows

    def add_problems(self, exc: ValidationFailed) -> None:
        for problem in exc.problems:
            target = self._row_for(problem)
            if target is None:
                self.form.add_error(self.form.field_for(problem), sentence(problem))
            else:
                index, field = target
                self.formset.forms[index].add_error(field, sentence(problem))

    def _row_for(self, problem: str) -> tuple[int, str] | None:
        """Which row and field a problem of ``offsets.services.parse_balances`` is about."""
        rows = [(i, self.formset.forms[i].cleaned_data) for i in self._rows]

        def code_of(row: dict[str, Any]) -> str:
            return (row.get("currency") or "").strip().lower()

        if match := re.match(r"balance (\d+) is missing (currency|balance)", problem):
            number = int(match.group(1)) - 1
            if 0 <= number < len(rows):
                return rows[number][0], "currency" if match.group(2).startswith(
                    "currency"
                ) else "balance"
        if match := re.match(r"unknown currency '(.*)'", problem):
            for index, row in rows:
                if code_of(row) == match.group(1):
                    return index, "currency"
        if match := re.match(r"currency '(.*)' is listed more than once", problem):
            found = [index for index, row in rows if code_of(row) == match.group(1)]
            if found:
                return found[-1], "currency"
        if match := re.match(r"balance for (\S+) ", problem):
            for index, row in rows:
                if code_of(row) == match.group(1):
                    return index, "balance"
        if match := re.match(r"amount '(.*?)'", problem):
            for index, row in rows:
                if _same_number(row.get("balance"), match.group(1)):
                    return index, "balance"
        if re.match(r"currency must be", problem):
            for index, row in rows:
                if not code_of(row):
                    return index, "currency"
        return None


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _same_number(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a).strip().replace("_", "")) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


class ApiKeyForm(ServiceForm):
    name = forms.CharField(
        required=False,
        help_text="So you recognise it later, for example “Spreadsheet”.",
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        required=False,
        choices=[(scope, f"{scope}: {SCOPES[scope]}") for scope in API_KEY_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text="Keys can only read; they never change or delete anything.",
    )
    problem_fields = ((r"(scope|choose at least one scope)", "scopes"), (r"name\b", "name"))


def address_currency_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped <select> choices of the currencies an address can be added for: the chains
    with validation, then Ethereum tokens. One query."""
    rows = address_currencies()
    coins = [(c.code, f"{c.code.upper()} — {c.title}") for c in rows if not c.is_ethereum_token]
    tokens = [(c.code, f"{c.code.upper()} — {c.title}") for c in rows if c.is_ethereum_token]
    return [("Coins", coins), ("Ethereum tokens", tokens)]
