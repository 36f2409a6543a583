from django.contrib.auth import views as auth
from django.urls import path, re_path
from django.views.generic import RedirectView

from users import views

urlpatterns = [
    path("auth/signup/", views.sign_up, name="signup"),
    path("auth/login/", auth.LoginView.as_view(), name="login"),
    path("auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("auth/password/change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "auth/password/change/done/",
        auth.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "auth/password/reset/done/",
        auth.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "auth/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "auth/reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Sign-in pages lived under /accounts/ before; that name now belongs to exchange accounts.
    # Old links and bookmarks (a password-reset mail in someone's inbox) still land.
    re_path(
        r"^accounts/(?P<rest>(signup|login|logout|password|reset)/.*)$",
        RedirectView.as_view(url="/auth/%(rest)s", permanent=True, query_string=True),
    ),
]
