"""Reading the seed's query parameters and body fields with 422s that name their place."""

from __future__ import annotations

import uuid
from typing import Any

from core.exceptions import NotFound
from portfolios.models import Portfolio
from users.models import User
from v1.errors import Invalid, Missing, problem

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def bool_param(params, name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise Invalid(
        [problem(["query", name], "Input should be a valid boolean", "bool_parsing", raw)]
    )


def int_param(params, name: str, default: int, lo: int, hi: int | None = None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise Invalid(
            [problem(["query", name], "Input should be a valid integer", "int_parsing", raw)]
        ) from None
    if value < lo:
        raise Invalid(
            [
                problem(
                    ["query", name],
                    f"Input should be greater than or equal to {lo}",
                    "greater_than_equal",
                    raw,
                )
            ]
        )
    if hi is not None and value > hi:
        raise Invalid(
            [
                problem(
                    ["query", name],
                    f"Input should be less than or equal to {hi}",
                    "less_than_equal",
                    raw,
                )
            ]
        )
    return value


def uuid_value(raw: Any, loc: list[str | int]) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw).strip())
    except ValueError:
        raise Invalid([problem(loc, "Input should be a valid UUID", "uuid_parsing", raw)]) from None


def check_user_id(params, user: User, *, required: bool) -> None:
    """``user_id`` must be the token's own user: a malformed one is 422, any other user 404."""
    raw = params.get("user_id")
    if raw is None:
        if required:
            raise Invalid([problem(["query", "user_id"], "Field required", "missing")])
        return
    if uuid_value(raw, ["query", "user_id"]) != user.uuid:
        raise NotFound("no such user")


def portfolio_by_uuid(user: User, raw: Any, loc: list[str | int]) -> Portfolio:
    """The user's portfolio of that UUID; anyone else's (or none) is 404."""
    found = Portfolio.objects.filter(user=user, uuid=uuid_value(raw, loc)).first()
    if found is None:
        raise NotFound("no such portfolio")
    return found


def portfolio_of_request(request, user: User) -> Portfolio:
    """``?portfolio_id=`` or the user's default portfolio (the first created when none is
    marked default)."""
    raw = request.query_params.get("portfolio_id")
    if raw:
        return portfolio_by_uuid(user, raw, ["query", "portfolio_id"])
    found = Portfolio.objects.filter(user=user).order_by("-is_default", "id").first()
    if found is None:
        raise Missing("no portfolio: create one first")
    return found
