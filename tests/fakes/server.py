"""A tiny Esplora + CoinGecko on 127.0.0.1 for tests that run a separate process (a real Celery
worker) which ``responses`` cannot reach. Answers come from the fixtures in tests/fixtures/
(hand-made edge cases; tests/fixtures/README.md says which file is what):

- ``/esplora/api/address/A``, ``/esplora/api/address/A/txs``,
  ``/esplora/api/address/A/txs/chain/LAST`` for the fixture address (any other address is
  answered ``400 Invalid Bitcoin address``, as electrs does);
- ``/coingecko/api/v3/simple/price?ids=...&vs_currencies=...`` from ``simple_price.json``
  (unknown ids left out, numbers written with every digit).

Point ``ESPLORA_BTC_URL`` at ``server.esplora_url`` and ``COINGECKO_URL`` at
``server.coingecko_url``. Run ``python -m tests.fakes.server`` to try it by hand.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDED_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


_MARK = "__decimal__:"
_MARKED = re.compile(rf'"{_MARK}(-?[0-9.]+)"')


def dumps(payload: Any) -> str:
    """JSON with Decimals as numbers carrying every digit (CoinGecko's ``precision=full``)."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{_MARK}{value:f}"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    return _MARKED.sub(r"\1", json.dumps(mark(payload)))


class FakeServer:
    """A threaded HTTP server on a free port of 127.0.0.1; a context manager. ``requests`` lists
    the paths asked for, in order."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[str] = []
        self.address_doc = _load("esplora/address.json")
        self.txs = _load("esplora/txs.json")
        self.txs_page2 = _load("esplora/txs_chain_page2.json")
        self.prices = _load("coingecko/simple_price.json")
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str)  # an IP address, not a Unix socket's path
        return f"http://{host}:{port}"

    @property
    def esplora_url(self) -> str:
        return f"{self.url}/esplora/api"

    @property
    def coingecko_url(self) -> str:
        return f"{self.url}/coingecko/api/v3"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answers --------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, str]:
        """(status, content type, body) for one GET."""
        if path.startswith("/esplora/api/address/"):
            return self._esplora(path.removeprefix("/esplora/api/address/").split("/"))
        if path == "/coingecko/api/v3/simple/price":
            return self._simple_price(query)
        return 404, "text/plain", "Not found"

    def _esplora(self, parts: list[str]) -> tuple[int, str, str]:
        address, rest = unquote(parts[0]), parts[1:]
        if address != RECORDED_ADDRESS:
            return 400, "text/plain", "Invalid Bitcoin address"
        if rest == []:
            return 200, "application/json", dumps(self.address_doc)
        if rest == ["txs"]:
            return 200, "application/json", dumps(self.txs)
        if len(rest) == 3 and rest[:2] == ["txs", "chain"]:
            if rest[2] == self.txs[-1]["txid"]:
                return 200, "application/json", dumps(self.txs_page2)
            return 200, "application/json", "[]"
        return 404, "text/plain", "Not found"

    def _simple_price(self, query: dict[str, list[str]]) -> tuple[int, str, str]:
        ids = query.get("ids", [""])[0].split(",")
        vs = query.get("vs_currencies", [""])[0].split(",")
        body = {}
        for coin in ids:
            prices = self.prices.get(coin)
            if prices is None:
                continue
            body[coin] = {k: v for k, v in prices.items() if k in vs or k == "last_updated_at"}
        return 200, "application/json", dumps(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                status, content_type, body = server.answer(parts.path, parse_qs(parts.query))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        return Handler


if __name__ == "__main__":
    with FakeServer(port=8765) as fake:
        print(f"Esplora:   {fake.esplora_url}\nCoinGecko: {fake.coingecko_url}\n(Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
