"""The request types of views that only a signed-in user reaches.

The API's permission classes (``core.permissions``) and the dashboard's ``owner_view`` let no
anonymous visitor through, so inside those views ``request.user`` is always a ``User``. The
stubs cannot know that and type it ``User | AnonymousUser``; annotating such a view's request
with one of these types states the guarantee once instead of narrowing in every view. They are
annotations only: at run time the request is the framework's own object."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

from users.models import User

if TYPE_CHECKING:

    class AuthenticatedRequest(Request):
        @property
        def user(self) -> User: ...

        @user.setter
        def user(self, value: User) -> None: ...

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedRequest = Request
    AuthenticatedHttpRequest = HttpRequest

__all__ = ["AuthenticatedHttpRequest", "AuthenticatedRequest"]
