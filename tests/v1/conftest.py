"""The performance tests' book (a wallet with flows and daily closes) for the v1 comparisons."""

from tests.performance.conftest import _own_flags, book  # noqa: F401
