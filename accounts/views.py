"""The earner's account pages: settings (names, email address, password)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts import services
from core.exceptions import ApplicationError
from core.forms import add_application_error


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link of the account-creation email: the earner chooses a password, is signed
    in, and lands on their badges."""

    post_reset_login = True
    success_url = reverse_lazy("backpack")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Here are your badges.")
        return response


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(label="Your password", widget=forms.PasswordInput)


@login_required(login_url="login")
@require_http_methods(["GET", "POST"])
def account_settings(request):
    user = request.user
    profile = ProfileForm(initial={"first_name": user.first_name, "last_name": user.last_name})
    email = EmailChangeForm()
    if request.method == "POST" and request.POST.get("form") == "profile":
        profile = ProfileForm(request.POST)
        if profile.is_valid():
            services.user_update_profile(user=user, **profile.cleaned_data)
            messages.success(request, "Your name was saved.")
            return redirect("account-settings")
    elif request.method == "POST" and request.POST.get("form") == "email":
        email = EmailChangeForm(request.POST)
        if email.is_valid():
            try:
                services.user_email_change_request(user=user, **email.cleaned_data)
            except ApplicationError as exc:
                add_application_error(email, exc)
            except OSError:
                email.add_error(None, "The confirmation email could not be sent; try again later.")
            else:
                messages.success(
                    request,
                    f"We sent a link to {email.cleaned_data['new_email']}: follow it to confirm "
                    "the new address. Until then you keep signing in with this one.",
                )
                return redirect("account-settings")
    return render(request, "accounts/settings.html", {"profile": profile, "email": email})


def email_confirm(request, token: str):
    try:
        user = services.user_email_change_confirm(token=token)
    except ApplicationError as exc:
        return render(request, "accounts/email_confirm.html", {"error": exc.message}, status=400)
    return render(request, "accounts/email_confirm.html", {"email": user.email})
