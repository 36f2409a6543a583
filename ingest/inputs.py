"""The statement upload's request as an input serializer: it checks the multipart body (and the
query flags) with the API's sentences and describes them to the schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from core.exceptions import PayloadTooLarge
from core.inputs import InputField, InputSerializer, unwrap_single

NO_FILE = "file is required: a Coinbase 'Transaction history' CSV as multipart field 'file'"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@extend_schema_field(OpenApiTypes.BINARY)
class StatementFileInput(InputField):
    """The uploaded CSV. Larger than MAX_UPLOAD_SIZE is 413 ``Payload too large``, not 422."""

    default_error_messages = {"required": NO_FILE}

    def to_internal_value(self, data: Any) -> UploadedFile:
        # DRF merges the uploaded files into request.data as Django's MultiValueDict keeps them:
        # a list per field.
        data = unwrap_single(data)
        if not isinstance(data, UploadedFile):
            raise serializers.ValidationError(NO_FILE)
        if data.size is not None and data.size > settings.MAX_UPLOAD_SIZE:
            raise PayloadTooLarge(settings.MAX_UPLOAD_SIZE, data.size)
        return data


@extend_schema_field(OpenApiTypes.BOOL)
class FlagInput(InputField):
    """true/false, also as 1/0, yes/no, on/off; empty is false."""

    def to_internal_value(self, data: Any) -> bool:
        text = str(unwrap_single(data)).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise serializers.ValidationError(f"{self.name} must be true or false")


@extend_schema_field(OpenApiTypes.STR)
class WalletRefInput(InputField):
    """A wallet's name or id; the service looks it up (and names an unknown one)."""

    def to_internal_value(self, data: Any) -> str | None:
        value = unwrap_single(data)
        return str(value) if value not in (None, "") else None


class StatementUploadInputSerializer(InputSerializer):
    """A Coinbase 'Transaction history' CSV as multipart field ``file``. ``dry_run`` and
    ``wallet`` may also come in the query string, which wins."""

    file = StatementFileInput()
    dry_run = FlagInput(required=False, default=False)
    wallet = WalletRefInput(required=False, default=None)

    @classmethod
    def from_request(cls, request: Request, *, partial: bool = False) -> dict[str, Any]:
        # Item by item: a form's QueryDict (and DRF's merge of the uploaded files into it)
        # answers one value per key that way, where a dict copy would take its inner lists. A
        # JSON body that is not an object carries no file: the answer is "file is required".
        body = request.data if isinstance(request.data, Mapping) else {}
        data = {key: body[key] for key in body}
        params = request.query_params
        data.update({key: params[key] for key in ("dry_run", "wallet") if key in params})
        return cls.validate_data(data, partial=partial)
