from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from accounts import views

urlpatterns = [
    # The account-creation email's link and the password-reset email's link alike.
    path(
        "set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set-password",
    ),
    path(
        "set-password/done/",
        RedirectView.as_view(pattern_name="backpack"),
        name="set-password-done",
    ),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    # Earners sign in here (issuer staff use the admin's login).
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
            # earners to their badges, issuer staff to their dashboard (workspace)
            next_page=reverse_lazy("landing"),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("login")), name="logout"),
    path("settings/", views.account_settings, name="account-settings"),
    path("language/", views.language_set, name="language-set"),
    path("email/confirm/<str:token>/", views.email_confirm, name="account-email-confirm"),
    path(
        "password/",
        login_required(
            auth_views.PasswordChangeView.as_view(
                template_name="accounts/password_change.html",
                success_url=reverse_lazy("account-settings"),
            ),
            login_url="login",  # the earners' sign-in page, not the admin's
        ),
        name="account-password",
    ),
]
