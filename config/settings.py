"""Settings, every one read from the environment (see .env.example for the full list).

Safe development defaults apply only when DEBUG is on; in production SECRET_KEY has no default.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.scopes import SCOPES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-secret-key" if DEBUG else environ.Env.NOTSET
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS-only settings: off unless asked for, so DEBUG=False still serves plain http on loopback.
# HTTPS=1 turns them all on (what a deployment behind TLS wants); each one can still be set on its
# own, and an explicit value wins over the switch.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sent on every response by SecurityMiddleware (Django's defaults, named here on purpose).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "axes",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "users",
    "currencies",
    "prices",
    "portfolios",
    "addresses",
    "offsets",
    "ledger",
    "accounts",
    "costbasis",
    "performance",
    "ingest",
    "v1",
    "dashboard",
    "demo",
    "audit",
    "csp",
]

MIDDLEWARE = [
    # /healthz and /readyz first: answered before host checks, the https redirect and sessions.
    "core.middleware.HealthProbeMiddleware",
    "core.middleware.CollapseSlashesMiddleware",
    # Early, so every answer (a refused host, the https redirect, a CSRF refusal) carries the id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication and the request id: records every mutation once it is answered
    # (outside axes, so it records the lockout's 429 too).
    "audit.middleware.AuditMiddleware",
    # Last: turns a sign-in refused by the lockout into the 429 page (see Throttling below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers instead of failing with "database is locked" under the dev server and
    # the in-process task threads: a transaction takes the write lock when it begins
    # (IMMEDIATE), so two writers wait for each other (up to the timeout) instead of
    # deadlocking when both upgrade a read lock, which SQLite answers at once with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Database cache: shared by every process, unlike the in-memory one.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        }
    }

AUTH_USER_MODEL = "users.User"
# django-axes first: it refuses a locked-out user or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step

# Upload size limit for statements (bytes); a larger body is answered 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=50 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.BearerTokenAuthentication",
        "users.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.CryptfolioScopes"],
    "DEFAULT_RENDERER_CLASSES": ["core.envelope.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.DecimalJSONParser",
        "core.parsers.BracketFormParser",
        "core.parsers.BracketMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.envelope.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.EnvelopeAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Crypto portfolio tracker API",
    "DESCRIPTION": "CryptFolio-style API: every response is wrapped in the envelope "
    '`{"success", "time", "result"}`; see the README for authentication.',
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The failure envelope's ``success`` (core.schema): named for what it is, not "SuccessEnum".
    "ENUM_NAME_OVERRIDES": {"FailedEnum": [(False, False)]},
}

# A bearer token checked once is served from the shared cache for at most this long (and never
# past its expiry); revocation drops it at once (core/tokencache.py).
TOKEN_CACHE_SECONDS = env.int("TOKEN_CACHE_SECONDS", default=300)
OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "DEFAULT_SCOPES": ["read"],
    "ALLOWED_GRANT_TYPES": None,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int(
        "OAUTH_REFRESH_TOKEN_EXPIRE_SECONDS", default=60 * 60 * 24 * 90
    ),
    # PKCE: required for public clients, optional for confidential ones; decided per client by
    # TrackerOAuth2Validator.is_pkce_required (oauthlib enforces only a literal True here).
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "core.oauth.TrackerOAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "core.oauth.TrackerOAuthLibCore",
}

# Outside services: each has its own base URL so tests and self-hosters can point elsewhere.
ESPLORA_BTC_URL = env.str("ESPLORA_BTC_URL", default="https://blockstream.info/api")
ESPLORA_LTC_URL = env.str("ESPLORA_LTC_URL", default="https://litecoinspace.org/api")
ETHEREUM_RPC_URL = env.str("ETHEREUM_RPC_URL", default="https://ethereum-rpc.publicnode.com")
ETHERSCAN_URL = env.str("ETHERSCAN_URL", default="https://api.etherscan.io/v2/api")
ETHERSCAN_API_KEY = env.str("ETHERSCAN_API_KEY", default="")
# Where prices come from: a name in prices.sources.SOURCES.
PRICE_SOURCE = env.str("PRICE_SOURCE", default="coingecko")
COINGECKO_URL = env.str("COINGECKO_URL", default="https://api.coingecko.com/api/v3")
COINGECKO_API_KEY = env.str("COINGECKO_API_KEY", default="")
# How old fetched data may get before a request (or beat) refreshes it.
ADDRESS_REFRESH_SECONDS = env.int("ADDRESS_REFRESH_SECONDS", default=600)
PRICE_REFRESH_SECONDS = env.int("PRICE_REFRESH_SECONDS", default=300)
# The yearly risk-free rate the Sharpe ratio of /history/performance subtracts (a fraction).
PERFORMANCE_RISK_FREE_RATE = env.str("PERFORMANCE_RISK_FREE_RATE", default="0")
TRANSFER_MATCH_WINDOW_HOURS = env.float("TRANSFER_MATCH_WINDOW_HOURS", default=12.0)
TRANSFER_MATCH_TOLERANCE = env.str("TRANSFER_MATCH_TOLERANCE", default="0.01")
# Analytics: a suggested trade worth less than this (in the reporting currency asked for) is left
# out; ``?min_trade=`` overrides it per request. A decimal string; 0 keeps every trade.
PORTFOLIO_MIN_TRADE = env.str("PORTFOLIO_MIN_TRADE", default="0")

# Exchange accounts (ccxt). EXCHANGE_URLS: a JSON object from ccxt exchange id to a base URL
# that replaces the host of every URL of that exchange's API ({"kraken": "http://127.0.0.1:9000"}).
EXCHANGE_URLS = env.json("EXCHANGE_URLS", default={})
# Shared request budget per exchange across all workers, {"kraken": [limit, per_seconds]};
# default: what ccxt's own rateLimit allows, per minute.
EXCHANGE_RATE_LIMITS = env.json("EXCHANGE_RATE_LIMITS", default={})
# ccxt's own per-client throttle in ms, per exchange, replacing ccxt's rateLimit (tests, benches).
EXCHANGE_CCXT_RATE_LIMIT_MS = env.json("EXCHANGE_CCXT_RATE_LIMIT_MS", default={})
ACCOUNT_REFRESH_SECONDS = env.int("ACCOUNT_REFRESH_SECONDS", default=600)
# Fernet keys encrypting exchange credentials, comma-separated, newest first. Required unless
# DEBUG is on (then a development key derived from SECRET_KEY is used).
FERNET_KEYS = env.str("FERNET_KEYS", default="")
FERNET_DEVELOPMENT_KEY_ALLOWED = DEBUG
HTTP_TIMEOUT_SECONDS = env.float("HTTP_TIMEOUT_SECONDS", default=20.0)
HTTP_USER_AGENT = env.str("HTTP_USER_AGENT", default="cryptotracker/0.1 (+self-hosted)")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # ccxt logs every request with its headers (an exchange API key, a signature) at
        # DEBUG: never below WARNING, whatever LOG_LEVEL says.
        "ccxt": {"level": "WARNING"},
    },
}

# --- Celery -------------------------------------------------------------------------------------
# With REDIS_URL: a real broker, workers and beat. Without it: tasks run in-process (a small
# thread pool after the transaction commits) so the embedded default works on its own.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
TASKS_IN_PROCESS = env.bool("TASKS_IN_PROCESS", default=not REDIS_URL)
# Run enqueued tasks synchronously at commit (the test suite; never in production).
TASKS_SYNC = env.bool("TASKS_SYNC", default=False)
if TASKS_IN_PROCESS or TASKS_SYNC:
    # A line per task is useful in a worker's log, noise in the web server's.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# --- Redis outages (issue 11.3; see docs/operations.md "When Redis is down") ----------------------
# The cache answers from the database cache table while Redis is down (core/cache.py): reads of
# stored data, flags and rate limits keep working. "database" is that table as a cache of its
# own, so that `createcachetable` (migration core 0002) creates it on a Redis deployment too
# (without Redis the default cache is that table already).
_DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "cache_table",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "FALLBACK_TABLE": "cache_table",
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=1.0),
                "socket_timeout": env.float("REDIS_TIMEOUT_SECONDS", default=2.0),
            },
        },
        "database": _DATABASE_CACHE,
    }
# The worker keeps trying to reach the broker for as long as it is down, at start-up as well.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS.update({"socket_connect_timeout": 2, "socket_timeout": 10})
# Work handed to the queue goes through the outbox table (core/outbox.py): after a failed send
# it is tried again 5 s, 10 s, 20 s... later, at most OUTBOX_RETRY_MAX_SECONDS apart, and
# relayed every 30 s by the beat (config/celery.py) and whenever a worker (re)connects.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=5)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=60)
# How long an "already queued" flag outlives a running task that stopped renewing it (a worker
# killed in the middle of a fetch): the fetch can be enqueued again after at most this long.
TASK_FLAG_LEASE_SECONDS = env.int("TASK_FLAG_LEASE_SECONDS", default=30)

# --- Input limits -------------------------------------------------------------------------------
# What one request may hold (docs/operations.md "Input limits"). Past a limit the API answers 413
# (body size: DATA_UPLOAD_MAX_MEMORY_SIZE above; number of fields), 400 (nesting) or 422 (one
# value too long, or text with a NUL or a lone surrogate), and nothing of the request is stored.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
API_MAX_NESTING_DEPTH = env.int("API_MAX_NESTING_DEPTH", default=32)
# Characters in one text value of a body, and in one cell of an imported statement.
MAX_FIELD_LENGTH = env.int("MAX_FIELD_LENGTH", default=10_000)
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # the envelope under /api/, Django's page elsewhere
MIDDLEWARE += ["core.limits.RefuseNulMiddleware"]
# --- end Input limits ---------------------------------------------------------------------------

# --- Throttling ---------------------------------------------------------------------------------
# Every counter lives in the database (django-axes' attempt rows) or in the shared cache (Redis or
# the database cache), never in one process. See docs/operations.md, "Throttling and lockout".
#
# Credential guessing (django-axes): wrong passwords on the sign-in page, the admin sign-in and the
# OAuth2 password grant, and wrong client secrets at /oauth/token, /oauth/revoke_token and
# /oauth/introspect. LOGIN_FAILURE_LIMIT failures for one account (from any address), or from one
# address (for any account), lock that account or address out for LOGIN_COOLOFF_SECONDS after the
# last failure. Wrong client secrets are counted the same way, per client id and per address, on
# counters of their own ("oauth-client:<id>", "oauth-client-ip:<address>").
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_COOLOFF_SECONDS", default=15 * 60))
AXES_LOCKOUT_PARAMETERS = "users.throttling.lockout_parameters"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "users.throttling.lockout_username"
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "users.throttling.lockout_response"
# A success does not wipe the counters: it would let someone reset an address's count by signing
# in to an account of their own between guesses. Failures age out with the cool-off instead.
AXES_RESET_ON_SUCCESS = False
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "client_secret",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
]
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket's address). The
# API throttles, the password-reset limit and the lockout all take the address from here.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# API requests (DRF throttles; 429 in the envelope with Retry-After). Rates are "N/second",
# "N/minute", "N/hour" or "N/day". A signed-in caller (token or API key) is counted per user,
# over all their apps and keys; an anonymous one per address.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "core.throttling.ApiUserRateThrottle",
    "core.throttling.ApiAnonRateThrottle",
]
API_THROTTLE_USER_RATE = env.str("API_THROTTLE_USER_RATE", default="600/minute")
API_THROTTLE_ANON_RATE = env.str("API_THROTTLE_ANON_RATE", default="120/minute")
# Password-reset mails: per address and per email address asked for (known or not).
PASSWORD_RESET_RATE_PER_IP = env.str("PASSWORD_RESET_RATE_PER_IP", default="10/hour")
PASSWORD_RESET_RATE_PER_EMAIL = env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/hour")
# OAuth 2.1 / RFC 9700: S256 is the only PKCE method; a replayed refresh token revokes its whole
# family; a replayed authorization code revokes what was issued from it (remembered this long).
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_PKCE_METHOD"] = True
# Also OAuth 2.1: no implicit grant, no access token in a query string, and the issuer named in
# the authorization response (RFC 9207, against mix-up attacks). The password grant stays: the
# API offers it to users who switch on allow_remote_login (manage.py check --deploy warns, W002).
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT"] = True
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT"] = True
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS"] = True
OAUTH2_PROVIDER["REFRESH_TOKEN_REUSE_PROTECTION"] = True
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_REFRESH_TOKEN"] = True
# Tokens at rest: only their SHA-256 checksum is stored, never the token itself.
OAUTH2_PROVIDER["COMPLIANT_BCP_RFC9700_TOKEN_STORAGE"] = True
# What `check --deploy` still warns about is what the API contract asks for, on purpose:
# - W002: the password grant, offered only to users whose profile allows remote login (off by
#   default, switched on by an operator) and locked out after LOGIN_FAILURE_LIMIT failures;
# - W008: http redirect URIs, which native apps need for their loopback redirect
#   (http://127.0.0.1:PORT, RFC 8252 section 7.3); browsers' apps register https ones.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W002", "oauth2_provider.W008"]
OAUTH2_PROVIDER["OAUTH2_SERVER_CLASS"] = "core.oauth.TrackerServer"
OAUTH_USED_CODE_RETENTION_SECONDS = env.int(
    "OAUTH_USED_CODE_RETENTION_SECONDS", default=60 * 60 * 24 * 7
)

# --- Content-Security-Policy, audit log, health probes (issue 11, points 6 and 9) ----------------
# Every page: scripts, styles, fonts and images from this origin only; an inline <script> or
# <style> runs only with the per-response nonce (``request.csp_nonce``); no plugins, no framing,
# forms post to this origin (the OAuth2 consent page alone may be redirected elsewhere: see
# config/urls.py). The Swagger UI and Redoc pages are served by us (drf-spectacular-sidecar) and
# run under the same policy (templates/drf_spectacular/).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Redoc builds its search index in a web worker started from a blob.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]

# The audit log refers to OAuth2 applications; Django resolves that model through this setting.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# How long audit rows are kept by ``manage.py prune_audit`` (run it from cron or a timer).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# LOG_FORMAT=json writes one JSON object per line (time, level, logger, request_id, message and
# the traceback if any) for a log collector; ``plain`` (the default) is for people.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING["formatters"]["json"] = {"()": "core.logs.JsonFormatter"}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
