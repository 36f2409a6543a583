"""The exchange-account form: pick the exchange, fill the credentials it needs.

Every credential field ccxt knows is on the form (so that it works without JavaScript);
``static/js/accounts.js`` shows only the fields the chosen exchange needs, read from each
option's ``data-credentials``. The check that the needed ones are filled is made here, field by
field, and again by the service (``accounts.services.check_credentials``). Fields the exchange
does not need are ignored. Credential inputs never render a value: after an error, and on the
edit form, they are empty (on the edit form, empty means "keep the stored key")."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.exchanges import CREDENTIAL_NAMES, WalletInfo, wallet_info, wallets
from core.exceptions import ValidationFailed
from dashboard.forms import ServiceForm, sentence

CREDENTIAL_LABELS = {
    "apiKey": "API key",
    "secret": "API secret",
    "uid": "User ID",
    "login": "Login",
    "password": "Passphrase (API password)",
    "twofa": "Two-factor secret",
    "privateKey": "Private key",
    "walletAddress": "Wallet address",
    "token": "Token",
    "accountId": "Account ID",
}


class WalletSelect(forms.Select):
    """A select whose options carry the credentials each exchange needs
    (``data-credentials="apiKey secret"``), for the script that hides the other fields."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        info = wallet_info(str(value)) if value else None
        if info is not None:
            option["attrs"]["data-credentials"] = " ".join(info.credentials)
        return option


def wallet_choices() -> list[tuple[str, str]]:
    return [("", "Choose an exchange…")] + [
        (w.code, w.title) for w in sorted(wallets(), key=lambda w: w.title.lower())
    ]


class AccountForm(ServiceForm):
    """``account`` given: the edit form (credentials optional, empty = keep)."""

    title = forms.CharField(
        required=False,
        max_length=100,
        help_text="A name you recognise, such as “Kraken main”. Empty: the exchange's name.",
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
    exchange = forms.ChoiceField(
        label="Exchange",
        choices=(),
        widget=WalletSelect(attrs={"data-wallet-select": ""}),
    )

    def __init__(self, *args: Any, account: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.account = account
        exchange = self.fields["exchange"]
        assert isinstance(exchange, forms.ChoiceField)
        exchange.choices = wallet_choices()
        for name in CREDENTIAL_NAMES:
            self.fields[name] = forms.CharField(
                label=CREDENTIAL_LABELS[name],
                required=False,
                max_length=4000,
                strip=True,
                widget=forms.PasswordInput(
                    render_value=False,
                    attrs={
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "data-credential": name,
                        # The label says "(optional)" on the edit form only (empty = keep);
                        # the form is ``novalidate``: the server checks what the exchange needs.
                        **({} if account is not None else {"required": True}),
                    },
                ),
            )

    @property
    def credential_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CREDENTIAL_NAMES]

    @property
    def wallet(self) -> WalletInfo | None:
        code = self.cleaned_data.get("exchange") if hasattr(self, "cleaned_data") else None
        return wallet_info(code) if code else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        info = self.wallet
        if info is None:
            return data
        given = {name: data.get(name) or "" for name in info.credentials}
        changed = self.account is not None and info.code != self.account.exchange
        # New account, another exchange, or any new credential typed: all needed ones are due.
        if self.account is None or changed or any(given.values()):
            for name, value in given.items():
                if not value:
                    self.add_error(name, f"{CREDENTIAL_LABELS[name]} is required for {info.title}.")
        return data

    def credentials(self) -> dict[str, str] | None:
        """The credentials the chosen exchange needs, or None on the edit form when none was
        typed (keep the stored ones)."""
        info = self.wallet
        assert info is not None
        given = {name: self.cleaned_data.get(name) or "" for name in info.credentials}
        if self.account is not None and not any(given.values()):
            return None
        return given

    def field_for(self, problem: str) -> str | None:
        lower = problem.lower()
        for name in CREDENTIAL_NAMES:
            if lower.startswith(f"credentials.{name.lower()} "):
                return name
        if "wallet" in lower:
            return "exchange"
        if lower.startswith("title"):
            return "title"
        return None

    def add_problems(self, exc: ValidationFailed) -> None:
        for problem in exc.problems:
            name = self.field_for(problem)
            text = problem
            if name in CREDENTIAL_LABELS:
                text = problem.replace(f"credentials.{name}", CREDENTIAL_LABELS[name], 1)
            self.add_error(name, sentence(text))
