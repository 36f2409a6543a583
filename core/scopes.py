"""The OAuth2 scopes of the API, in one place: settings, the permission class and tests import them."""

PUBLIC = "public"
INFO = "info"
READ = "read"
WRITE = "write"
DELETE = "delete"
ADMIN = "admin"

SCOPES = {
    PUBLIC: "See public information only (currencies, service status): nothing about you.",
    INFO: "See your name, email address and when you signed up.",
    READ: "See your portfolios, their addresses, offsets, balances, transactions and values.",
    WRITE: "Create and change portfolios, addresses, offsets and imports (needs read as well).",
    DELETE: "Delete portfolios, addresses, offsets and imports (needs read as well).",
    ADMIN: "Full access to your account's data: everything read, write and delete allow.",
}

# Scopes a personal API key may carry: keys are for reading only.
API_KEY_SCOPES = (READ, INFO)
