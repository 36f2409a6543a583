"""Settings for the benchmarks: the project's own, with a URLconf that adds one trivial view
(``bench.urls``). Selected with ``DJANGO_SETTINGS_MODULE=bench.settings``; nothing in config/
knows about it."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
