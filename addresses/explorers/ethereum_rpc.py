"""A JSON-RPC client for an Ethereum node: one ``call`` per request, node errors sorted into
retry-later and give-up.

API docs: https://ethereum.org/en/developers/docs/apis/json-rpc/
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.exceptions import ProviderError
from core.http import HttpClient, RetryLater

# JSON-RPC codes worth retrying: limit exceeded, internal error, and the -32000 family
# ("header not found" from a load-balanced node that is a block behind).
_RPC_RETRYABLE = {-32005, -32603, -32000}


def hex_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise ProviderError(
            f"ethereum-rpc: {what} returned {value!r}, not a number", retryable=False
        )
    return int(value, 16)


class JsonRpcClient:
    def __init__(self, http: HttpClient):
        self.http = http
        self._id = 0

    def call(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        answer = self.http.post_json(
            json_body={"jsonrpc": "2.0", "id": self._id, "method": method, "params": params},
            validate=self._validate,
        )
        return answer["result"]

    @staticmethod
    def _validate(answer: Any) -> None:
        if not isinstance(answer, Mapping):
            raise ProviderError("ethereum-rpc: the answer is not a JSON object", retryable=False)
        error = answer.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, Mapping) else None
            message = error.get("message", error) if isinstance(error, Mapping) else error
            if code in _RPC_RETRYABLE or "rate" in str(message).lower():
                raise RetryLater(f"JSON-RPC error {code}: {message}")
            raise ProviderError(f"ethereum-rpc: JSON-RPC error {code}: {message}", retryable=False)
        if "result" not in answer:
            raise ProviderError(
                "ethereum-rpc: the answer has neither result nor error", retryable=False
            )
