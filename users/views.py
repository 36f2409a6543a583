from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from core.throttling import client_ip
from users.forms import SignUpForm
from users.throttling import password_reset_throttles, wait_phrase


def _next_url(request) -> str:
    """Where to go after signing up: ``next`` when it is a page of this site (an OAuth2
    consent screen, say), else the home page."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready.")
        return redirect(_next_url(request))
    next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


class PasswordResetView(auth.PasswordResetView):
    """Django's reset page, with a limit on mails per address and per email address asked
    for (known or not, so the limit says nothing about which accounts exist). Over the limit
    the form comes back with 429, ``Retry-After`` and a sentence; no mail is sent."""

    def form_valid(self, form):
        by_ip, by_email = password_reset_throttles()
        email = form.cleaned_data["email"].strip().lower()
        for throttle, ident in ((by_ip, client_ip(self.request)), (by_email, email)):
            if not throttle.allow(ident):
                seconds = throttle.retry_after()
                form.add_error(
                    None,
                    f"Too many password reset requests. Try again in {wait_phrase(seconds)}.",
                )
                response = self.render_to_response(self.get_context_data(form=form), status=429)
                response["Retry-After"] = str(seconds)
                return response
        return super().form_valid(form)
