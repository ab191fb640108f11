"""The account pages, in the platform's own look: sign in, forgotten password, the
set-password link (also the reset link), settings (names, language, email address,
password). An earner's data download and account deletion are the backpack's (they read
the badges)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from core.emails import link_lifetime_days
from core.exceptions import ApplicationError, RateLimitedError
from core.forms import add_application_error
from core.i18n import language_choices
from core.throttle import client_address


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link of the account-creation and password-reset emails: the person chooses a
    password, is signed in, and lands on their badges. The page says until when the link
    works; a link that does not work offers a fresh one by email."""

    template_name = "accounts/set_password.html"
    post_reset_login = True
    success_url = reverse_lazy("backpack")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
        context["expires_at"] = services.password_link_expiry(token) if token else None
        context["reset_form"] = PasswordResetForm()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Here are your badges."))
        return response


class PasswordResetForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"), max_length=254)


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Forgotten password: the same answer whether or not the address has an account."""
    form = PasswordResetForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(
                email=form.cleaned_data["email"],
                client=client_address(request),
                language=translation.get_language(),
            )
        except RateLimitedError as exc:
            form.add_error(None, exc.message)
            status = 429
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            request.session["password_reset_to"] = form.cleaned_data["email"]
            return redirect("password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


def password_reset_sent(request):
    return render(
        request,
        "accounts/password_reset_sent.html",
        {"email": request.session.get("password_reset_to", ""), "link_days": link_lifetime_days()},
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=lambda: [("", _("The browser's"))] + language_choices(),
    )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label=gettext_lazy("New email address"), max_length=254)
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)


@login_required(login_url="login")
@require_http_methods(["GET", "POST"])
def account_settings(request):
    user = request.user
    profile = ProfileForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        }
    )
    email = EmailChangeForm()
    if request.method == "POST" and request.POST.get("form") == "profile":
        profile = ProfileForm(request.POST)
        if profile.is_valid():
            services.user_update_profile(user=user, **profile.cleaned_data)
            translation.activate(user.language or translation.get_language_from_request(request))
            messages.success(request, _("Your settings were saved."))
            return redirect("account-settings")
    elif request.method == "POST" and request.POST.get("form") == "email":
        email = EmailChangeForm(request.POST)
        if email.is_valid():
            try:
                services.user_email_change_request(
                    user=user, language=translation.get_language(), **email.cleaned_data
                )
            except ApplicationError as exc:
                add_application_error(email, exc)
            else:
                messages.success(
                    request,
                    _(
                        "We sent a link to %(email)s: follow it to confirm the new address. "
                        "Until then you keep signing in with this one."
                    )
                    % {"email": email.cleaned_data["new_email"]},
                )
                return redirect("account-settings")
    return render(request, "accounts/settings.html", {"profile": profile, "email": email})


def email_confirm(request, token: str):
    try:
        user = services.user_email_change_confirm(token=token)
    except ApplicationError as exc:
        return render(request, "accounts/email_confirm.html", {"error": exc.message}, status=400)
    return render(request, "accounts/email_confirm.html", {"email": user.email})


@csrf_exempt
@require_POST
def language_set(request):
    """The header's language switch: remembered in a cookie, and on the account of a
    signed-in user (so their pages and emails follow it). Without a CSRF token because
    the switch is on cached public pages, which carry none; another site could at worst
    change the language someone reads in."""
    language = request.POST.get("language", "")
    codes = {code for code, _name in settings.LANGUAGES}
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    if language in codes:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 86400,
            samesite="Lax",
            secure=request.is_secure(),
        )
        if request.user.is_authenticated:
            services.user_update_profile(user=request.user, language=language)
    return response
