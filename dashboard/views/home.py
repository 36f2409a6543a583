from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: straight to the portfolios. Signed out: what this is, and the way in."""
    if request.user.is_authenticated:
        return redirect("dashboard:portfolio-list")
    return render(request, "home.html")
