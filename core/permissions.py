"""The CryptFolio scope rules of API.md, written once and used by every API view.

- a view marked ``public = True`` needs no token;
- ``GET /api/user`` (views with ``info_allowed = True``) needs one of admin, read, info;
- other GET needs one of admin, read;
- POST, PUT and PATCH need (admin or read) and (admin or write);
- DELETE needs (admin or read) and (admin or delete).

A personal API key carries only read/info and works for GET alone. A valid credential without
the scope is 403; no credential (or a bad one) is 401.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.scopes import ADMIN, DELETE, INFO, READ, WRITE

# Each requirement is a list of alternatives sets: every set must meet at least one scope.
RULES: dict[str, tuple[frozenset[str], ...]] = {
    "GET": (frozenset({ADMIN, READ}),),
    "POST": (frozenset({ADMIN, READ}), frozenset({ADMIN, WRITE})),
    "PUT": (frozenset({ADMIN, READ}), frozenset({ADMIN, WRITE})),
    "PATCH": (frozenset({ADMIN, READ}), frozenset({ADMIN, WRITE})),
    "DELETE": (frozenset({ADMIN, READ}), frozenset({ADMIN, DELETE})),
}
INFO_RULE = (frozenset({ADMIN, READ, INFO}),)


def granted_scopes(auth: object) -> frozenset[str] | None:
    """The scopes of the credential behind a request: an OAuth2 access token or an API key."""
    scopes = getattr(auth, "scope", None)
    if isinstance(scopes, str):
        return frozenset(scopes.split())
    scope_list = getattr(auth, "scope_list", None)
    if scope_list is not None:
        return frozenset(scope_list)
    return None


def scopes_allow(scopes: frozenset[str], method: str, *, info_allowed: bool = False) -> bool:
    method = "GET" if method in SAFE_METHODS else method
    rules = INFO_RULE if info_allowed and method == "GET" else RULES.get(method)
    if rules is None:
        return False
    return all(scopes & alternatives for alternatives in rules)


class CryptfolioScopes(BasePermission):
    message = "Forbidden"

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False):
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        scopes = granted_scopes(request.auth)
        if scopes is None:
            return False
        if getattr(request.auth, "is_api_key", False) and request.method not in SAFE_METHODS:
            return False
        return scopes_allow(
            scopes, request.method, info_allowed=getattr(view, "info_allowed", False)
        )
