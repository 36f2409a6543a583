"""Forms of the statement import, ledger and cost-basis pages. As in ``dashboard.forms``, they
only collect input; the services check it and their sentences land next to the fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from core.exceptions import ValidationFailed
from core.money import parse_amount
from currencies.selectors import fiat_codes
from dashboard.forms import ServiceForm, sentence
from ledger.kinds import INFLOWS, OUTFLOWS, IncomeType, Kind
from ledger.selectors import ledger_asset_titles
from portfolios.selectors import fiat_reporting_codes
from users.timezones import time_zone_names

KIND_LABELS = {
    Kind.BUY: "Buy",
    Kind.SELL: "Sell",
    Kind.TRADE_IN: "Trade — received",
    Kind.TRADE_OUT: "Trade — given",
    Kind.INCOME: "Income",
    Kind.SPEND: "Spend",
    Kind.GIFT_IN: "Gift received",
    Kind.GIFT_OUT: "Gift given",
    Kind.FEE: "Fee",
    Kind.TRANSFER_IN: "Transfer in (own wallet)",
    Kind.TRANSFER_OUT: "Transfer out (own wallet)",
    Kind.UNCLASSIFIED_IN: "Unclassified receive",
    Kind.UNCLASSIFIED_OUT: "Unclassified send",
    Kind.FIAT_DEPOSIT: "Cash deposit",
    Kind.FIAT_WITHDRAWAL: "Cash withdrawal",
}
INCOME_LABELS = {
    IncomeType.STAKING: "Staking",
    IncomeType.REWARD: "Reward",
    IncomeType.INTEREST: "Interest",
    IncomeType.LEARNING: "Learning reward",
    IncomeType.REFERRAL: "Referral",
    IncomeType.AIRDROP: "Airdrop",
    IncomeType.OTHER: "Other",
}


def kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[Kind(kind)]
    except ValueError:
        return kind


class StatementUploadForm(ServiceForm):
    file = forms.FileField(
        required=False,
        label="Coinbase statement (CSV)",
        error_messages={"empty": "The file is empty."},
        help_text="On coinbase.com: Profile → Statements → Transaction history → CSV. "
        "Nothing is stored until you confirm the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "required": True}),
    )
    wallet = forms.CharField(
        required=False,
        max_length=100,
        help_text="Where these rows go. Import every statement of one account into the same "
        "wallet: rows already there are recognised and not added twice.",
        widget=forms.TextInput(attrs={"list": "import-wallets", "autocomplete": "off"}),
    )
    problem_fields = ((r"(unknown wallet|wallet\b)", "wallet"), (r".", "file"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise forms.ValidationError("Choose the statement file to upload.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of a ChoiceField, typed as one (``form.fields`` holds plain Fields)
    so that its choices can be set per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class LedgerFilterForm(forms.Form):
    """The transaction list's filters, named as the API's query parameters; their checks are
    ``ledger.filters.LedgerEntryFilter``'s (the view shows its sentences)."""

    asset = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False)
    wallet = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, assets: list[tuple[str, str]], wallets: list, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice_field(self, "asset").choices = [("", "All assets"), *assets]
        choice_field(self, "kind").choices = [("", "All kinds")] + [
            (k.value, label) for k, label in KIND_LABELS.items()
        ]
        choice_field(self, "wallet").choices = [("", "All wallets")] + [
            (str(w.pk), w.name) for w in wallets
        ]
        # "from" and "to", as the API names them (``from`` cannot be a class attribute).
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.CharField(
                required=False, label=label, widget=forms.DateInput(attrs={"type": "date"})
            )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "compact")


class LedgerEntryForm(ServiceForm):
    """Re-classify a row, set its value by hand, note something about it."""

    kind = forms.ChoiceField(required=False)
    income_type = forms.ChoiceField(
        required=False,
        label="Type of income",
        choices=[("", "—")] + [(t.value, label) for t, label in INCOME_LABELS.items()],
        help_text="For income rows only.",
    )
    value = forms.CharField(
        required=False,
        label="Value",
        help_text="What it was worth at that moment. Leave empty when unknown.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    value_currency = forms.ChoiceField(required=False, label="Value currency")
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
    )
    problem_fields = (
        (r"(unknown kind|kind\b|this row is part of)", "kind"),
        (r"(unknown income_type|income_type)", "income_type"),
        (r"(value_currency|unknown currency)", "value_currency"),
        (r"(value\b|amount\b|'.*' is not)", "value"),
        (r"notes\b", "notes"),
    )

    def __init__(self, *args: Any, entry: Any, fiat: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        current = Kind(entry.kind)
        same_side = INFLOWS if current in INFLOWS else OUTFLOWS
        choice_field(self, "kind").choices = [
            (k.value, label)
            for k, label in KIND_LABELS.items()
            if k in same_side
            and (entry.asset.is_fiat or k not in (Kind.FIAT_DEPOSIT, Kind.FIAT_WITHDRAWAL))
        ]
        self.fields["kind"].help_text = "Only kinds of the same direction: this row " + (
            "received something." if current in INFLOWS else "sent something away."
        )
        choice_field(self, "value_currency").choices = fiat

    def clean_value(self) -> str:
        """The API's amount check, so that a bad value is said with the other problems."""
        text = (self.cleaned_data.get("value") or "").strip()
        if text:
            try:
                parse_amount(text, field="value")
            except ValidationFailed as exc:
                raise forms.ValidationError([sentence(p) for p in exc.problems])
        return text

    @staticmethod
    def initial_for(entry: Any) -> dict[str, Any]:
        return {
            "kind": entry.kind,
            "income_type": entry.income_type,
            "value": _plain(entry.value),
            "value_currency": entry.value_currency.code if entry.value_currency_id else "",
            "notes": entry.notes,
        }

    def changes(self, entry: Any) -> dict[str, Any]:
        """What the person changed, as a body for ``ledger.api.inputs.entry_changes``. A field
        the form did not send (the short value form of the missing-values list) stays."""
        sent = {name for name in self.fields if name in self.data}
        data = self.cleaned_data
        before = self.initial_for(entry)
        body: dict[str, Any] = {}
        if "kind" in sent and data["kind"] and data["kind"] != entry.kind:
            body["kind"] = data["kind"]
        kind = body.get("kind", entry.kind)
        income = data["income_type"] if "income_type" in sent else ""
        if kind == Kind.INCOME.value and income and income != entry.income_type:
            body["income_type"] = income
        if "value" in sent:
            value, currency = data["value"].strip(), data.get("value_currency") or ""
            if not _same_amount(value, before["value"]) or (
                value and currency and currency != before["value_currency"]
            ):
                body["value"] = value or None
                if value and currency:
                    body["value_currency"] = currency
        if "notes" in sent and data["notes"] != entry.notes:
            body["notes"] = data["notes"]
        return body


def _plain(value: Any) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _same_amount(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Decimal(a.replace("_", "")) == Decimal(b)
    except (InvalidOperation, ValueError):
        return False


class ValueForm(forms.Form):
    """The short form of the missing-values list: a value and its currency."""

    value = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "compact"})
    )
    value_currency = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, fiat: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice_field(self, "value_currency").choices = fiat
        self.fields["value_currency"].widget.attrs["class"] = "compact"


METHOD_LABELS = {
    "fifo": "FIFO — first in, first out",
    "lifo": "LIFO — last in, first out",
    "hifo": "HIFO — highest cost first",
    "average": "Average cost",
}
POOLING_LABELS = {
    "universal": "Universal — one pool across all wallets",
    "per_wallet": "Per wallet — each wallet has its own lots",
}


class CostBasisSettingsForm(ServiceForm):
    method = forms.ChoiceField(
        choices=list(METHOD_LABELS.items()),
        help_text="Which lots a sale uses first.",
    )
    pooling = forms.ChoiceField(
        choices=list(POOLING_LABELS.items()),
        help_text="Whether lots are shared between wallets or kept per wallet.",
    )
    unclassified_out_to_elsewhere = forms.BooleanField(
        required=False,
        label="Unexplained sends went to my own untracked wallets",
        help_text="On: an unclassified send is not a sale (its lots move “elsewhere”). Off: "
        "it is a disposal at market value.",
    )
    tax_time_zone = forms.ChoiceField(
        label="Tax time zone",
        help_text="Yours, for all your portfolios. A sale held more than a year (by calendar "
        "date) is long term, and its gain counts in its year: both read in this zone.",
    )
    problem_fields = (
        (r"method\b", "method"),
        (r"pooling\b", "pooling"),
        (r"unclassified_out_to_elsewhere", "unclassified_out_to_elsewhere"),
        (r"tax_time_zone", "tax_time_zone"),
    )

    def __init__(self, *args: Any, methods: list[str], poolings: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice_field(self, "tax_time_zone").choices = [(name, name) for name in time_zone_names()]
        # Offer what the engine knows, labelled where we have a label.
        for name, values, labels in (
            ("method", methods, METHOD_LABELS),
            ("pooling", poolings, POOLING_LABELS),
        ):
            choice_field(self, name).choices = [(v, labels.get(v, v)) for v in values]


def ledger_assets(*, portfolio: Any) -> list[tuple[str, str]]:
    """(code, "CODE — title") of the currencies the portfolio's ledger has rows of."""
    return [
        (code, f"{code.upper()} — {title}")
        for code, title in ledger_asset_titles(portfolio=portfolio)
    ]


def fiat_choices(*, portfolio: Any) -> list[tuple[str, str]]:
    """Fiat currencies for a value: the portfolio's fiat reporting currencies first, then the
    others by code."""
    first = fiat_reporting_codes(portfolio=portfolio)
    rest = [code for code in fiat_codes() if code not in first]
    return [(code, code.upper()) for code in first + rest]
