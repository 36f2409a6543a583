"""How ledger rows, transfers and the inventory look in the API. Amounts are strings (API.md),
every currency inside an object ``{code, title}``."""

from __future__ import annotations

from rest_framework import serializers

from core.api import AmountField, CurrencyRefField, UtcDateTimeField
from ledger.selectors import entry_transfers


class WalletRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class FeeSerializer(serializers.Serializer):
    asset = CurrencyRefField(source="fee_asset", allow_null=True)
    amount = AmountField(source="fee_amount")
    value = AmountField(source="fee_value", allow_null=True)


class TransferRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class LedgerEntrySerializer(serializers.Serializer):
    """One row. ``transfer`` needs ``context["transfers"]`` (from ``entry_transfers``)."""

    id = serializers.IntegerField()
    occurred_at = UtcDateTimeField()
    kind = serializers.CharField()
    income_type = serializers.SerializerMethodField()
    asset = CurrencyRefField()
    quantity = AmountField()
    value = AmountField(allow_null=True)
    value_currency = CurrencyRefField(allow_null=True)
    value_source = serializers.CharField()
    fee = serializers.SerializerMethodField()
    wallet = WalletRefSerializer()
    external_id = serializers.CharField()
    reference = serializers.CharField()
    pair_id = serializers.IntegerField(allow_null=True)
    transfer = serializers.SerializerMethodField()
    tx_type = serializers.CharField()
    notes = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    import_id = serializers.IntegerField(source="source_import_id", allow_null=True)
    user_modified = serializers.BooleanField()
    pinned_lots = serializers.SerializerMethodField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()

    def get_income_type(self, obj) -> str | None:
        return obj.income_type or None

    def get_fee(self, obj) -> dict | None:
        if obj.fee_amount is None:
            return None
        return FeeSerializer(obj).data

    def get_transfer(self, obj) -> dict | None:
        found = self.context.get("transfers", {}).get(obj.pk)
        return {"id": found[0], "status": found[1]} if found else None

    def get_pinned_lots(self, obj) -> list[list]:
        return [[int(pk), str(quantity)] for pk, quantity in obj.pinned_lots or []]


def entries_data(rows) -> list[dict]:
    """Serialize rows with their transfers looked up in one query."""
    rows = list(rows)
    transfers = entry_transfers([row.pk for row in rows])
    return LedgerEntrySerializer(rows, many=True, context={"transfers": transfers}).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


def entry_data(entry) -> dict:
    return entries_data([entry])[0]


class TransferLegSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = UtcDateTimeField()
    kind = serializers.CharField()
    quantity = AmountField()
    value = AmountField(allow_null=True)
    value_currency = CurrencyRefField(allow_null=True)
    wallet = WalletRefSerializer()
    reference = serializers.CharField()
    external_id = serializers.CharField()


class TransferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    matched_by = serializers.CharField()
    asset = CurrencyRefField(source="out_entry.asset")
    fee_quantity = AmountField()
    out_entry = TransferLegSerializer()
    in_entry = TransferLegSerializer()
    decided_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class InventoryValueSerializer(serializers.Serializer):
    currency = CurrencyRefField(source="*")
    acquired = AmountField()
    disposed = AmountField()


class InventorySerializer(serializers.Serializer):
    """API.md's row ``{currency, balance, balance_at, source}``, then the detail behind it:
    quantities acquired and disposed (of which unclassified), the rows counted and how many
    have no value, and the value of each side per value currency."""

    currency = CurrencyRefField(source="*")
    balance = AmountField()
    balance_at = UtcDateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source: the metaclass pops declared fields
    acquired = AmountField()
    disposed = AmountField()
    unclassified_in = AmountField()
    unclassified_out = AmountField()
    rows = serializers.IntegerField()
    missing_values = serializers.IntegerField()
    values = InventoryValueSerializer(many=True)
