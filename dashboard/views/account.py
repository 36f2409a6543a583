"""Connected apps (OAuth2 apps the user authorized) and Developer (the user's own OAuth2 apps
and personal API keys)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ValidationFailed
from dashboard.access import owner_view
from dashboard.forms import ApiKeyForm
from users.requests import AuthenticatedHttpRequest
from users.selectors import api_key_list, connected_apps, developer_applications
from users.services import api_key_create, api_key_revoke, connected_app_revoke


@owner_view
def connected_app_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "dashboard/connected_apps.html", {"apps": connected_apps(user=request.user)}
    )


@owner_view
@require_POST
def connected_app_revoke_view(
    request: AuthenticatedHttpRequest, application_id: int
) -> HttpResponse:
    application = connected_app_revoke(user=request.user, application_id=application_id)
    messages.success(request, f"“{application.name}” can no longer use your account.")
    return redirect("dashboard:connected-apps")


@owner_view
def developer(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "applications": developer_applications(user=request.user),
        "api_keys": api_key_list(user=request.user),
        "form": ApiKeyForm(),
    }
    return render(request, "dashboard/developer.html", context)


@owner_view
@never_cache
@require_http_methods(["GET", "POST"])
def api_key_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationFailed as exc:
            form.add_problems(exc)
        else:
            # Rendered, not redirected: the key exists only in this response.
            return render(
                request,
                "dashboard/api_key_created.html",
                {"api_key": created.api_key, "key": created.key},
            )
    return render(request, "dashboard/api_key_form.html", {"form": form})


@owner_view
@require_POST
def api_key_revoke_view(request: AuthenticatedHttpRequest, api_key_id: int) -> HttpResponse:
    api_key = api_key_revoke(user=request.user, api_key_id=api_key_id)
    messages.success(
        request, f"API key “{api_key.name}” revoked: requests with it are refused from now on."
    )
    return redirect("dashboard:developer")
