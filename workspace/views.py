"""The issuer dashboard: its badge templates, recent badges, credits and assignments,
with the links into the assign wizard; and the page where an invited person joins."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import User
from assertions import openbadges
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.services import award_email_preview
from core.exceptions import ApplicationError
from core.i18n import language_choices
from issuers import services
from issuers.admin_scoping import add_application_error
from issuers.links import credits_links
from issuers.models import EMAIL_PLACEHOLDERS
from issuers.permissions import MANAGE_TEMPLATES, has_role, is_operator
from issuers.selectors import issuer_for_user, issuers_for_user
from templates_app.models import BadgeTemplate

RECENT = 10


@login_required
def landing(request):
    """Where signing in leads when no page was asked for: operators to the admin, issuer
    staff to their dashboard (or their list of issuers), earners to their badges."""
    if is_operator(request.user):
        return redirect("admin:index")
    if issuers_for_user(request.user).exists():
        return redirect("issuer-list")
    return redirect("backpack")


def admin_login(request):
    """The admin's sign-in page, which by default leads to `landing` rather than to the
    admin's index (staff work on their dashboard; the admin is for operators)."""
    extra = {}
    if "next" not in request.GET and "next" not in request.POST:
        extra["next"] = reverse("landing")
    return admin.site.login(request, extra_context=extra)


def admin_index(request):
    """/admin/: the admin's index for operators; issuer staff get a page that says where
    their work is (their dashboards), with a way on to the admin's lists of their
    issuers, which stay scoped to them."""
    user = request.user
    if not user.is_authenticated or is_operator(user) or request.GET.get("continue") == "1":
        return admin.site.index(request)
    issuers = list(issuers_for_user(user).order_by("name")[:200])
    return render(
        request, "workspace/admin_door.html", {"issuers": issuers, "may_open_admin": user.is_staff}
    )


@login_required
def issuer_list(request):
    issuers = list(issuers_for_user(request.user).order_by("name")[:200])
    if len(issuers) == 1:
        return redirect("issuer-dashboard", entity_id=issuers[0].entity_id)
    return render(request, "workspace/list.html", {"issuers": issuers})


@login_required
def dashboard(request, entity_id: str):
    try:
        issuer = issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None
    templates = [
        {
            "template": t,
            "thumbnail": openbadges.badge_image_urls(t.current_version)["image_thumbnail_path"]
            if t.current_version
            else "",
        }
        for t in BadgeTemplate.objects.filter(issuer=issuer, archived=False)
        .select_related("current_version")
        .order_by("name")[:100]
    ]
    batches = AssignmentBatch.objects.filter(issuer=issuer).select_related("badge_template_version")
    running = list(batches.filter(status__in=[BatchStatus.PENDING, BatchStatus.RUNNING])[:20])
    recent_batches = list(batches.exclude(pk__in=[b.pk for b in running])[:RECENT])
    recent_badges = list(
        Assertion.objects.filter(organization=issuer)
        .select_related("badge_template_version")
        .order_by("-emitted_at", "-pk")[:RECENT]
    )
    return render(
        request,
        "workspace/dashboard.html",
        {
            "issuer": issuer,
            "templates": templates,
            "running": running,
            "recent_batches": recent_batches,
            "recent_badges": recent_badges,
            "may_edit_templates": has_role(request.user, issuer, MANAGE_TEMPLATES),
            **credits_links(request.user, issuer),
        },
    )


class NewAccountForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=gettext_lazy("Choose a password"), widget=forms.PasswordInput, strip=False
    )
    password_again = forms.CharField(
        label=gettext_lazy("The password again"), widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """An invitation's link. Signed in with the invited address: accept it. Signed out:
    sign in (the address's account has a password) or choose a password (it has none, or
    there is no account). Whoever holds the link reads that mailbox, so telling them which
    applies reveals nothing they could not learn by asking for a password reset."""
    try:
        invitation = services.invitation_by_token(token)
    except ApplicationError as exc:
        return render(request, "workspace/invitation.html", {"error": exc.message}, status=404)
    user = request.user
    signed_in = user.is_authenticated
    wrong_account = signed_in and user.email != invitation.email
    # Signed out: sign in, or (no account, or one whose password was never chosen)
    # choose a password here.
    account = None if signed_in else User.objects.filter(email=invitation.email).first()
    can_sign_in = signed_in or (account is not None and account.has_usable_password())
    form = None if can_sign_in else NewAccountForm(request.POST or None)
    error = ""
    if request.method == "POST":
        try:
            if signed_in:
                membership = services.invitation_accept(token=token, user=user)
            elif form is not None and form.is_valid():
                data = {k: v for k, v in form.cleaned_data.items() if k != "password_again"}
                user, membership = services.invitation_accept_with_password(token=token, **data)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                membership = None
        except ApplicationError as exc:
            membership = None
            if form is not None:
                add_application_error(form, exc)
            else:
                error = exc.message
        if membership is not None:
            messages.success(
                request,
                _("You are now a member of %(issuer)s.") % {"issuer": membership.issuer.name},
            )
            return redirect("issuer-dashboard", entity_id=membership.issuer.entity_id)
    context = {
        "invitation": invitation,
        "wrong_account": wrong_account,
        "form": form,
        "error": error,
        "login_url": reverse("login") + "?" + urlencode({"next": request.path}),
    }
    return render(request, "workspace/invitation.html", context, status=400 if error else 200)


class EmailSettingsForm(forms.Form):
    email_subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    email_greeting = forms.CharField(label=gettext_lazy("Greeting"), max_length=200, required=False)
    email_body = forms.CharField(
        label=gettext_lazy("Message (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    email_closing = forms.CharField(label=gettext_lazy("Closing"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of earners who have none"),
        required=False,
        choices=lambda: [("", _("The platform's default"))] + language_choices(),
    )
    expiry_reminder_days = forms.IntegerField(
        label=gettext_lazy("Remind earners this many days before a badge expires (0: never)"),
        min_value=0,
        max_value=365,
    )


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request, entity_id: str):
    """The issuer's own words for its badge emails, with the exact email they make."""
    try:
        issuer = issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None
    fields = list(EmailSettingsForm.base_fields)
    form = EmailSettingsForm(
        request.POST or None, initial={name: getattr(issuer, name) for name in fields}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.issuer_email_settings_update(
                issuer=issuer, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("The email settings are saved."))
            return redirect("issuer-emails", entity_id=issuer.entity_id)
    template = (
        BadgeTemplate.objects.filter(issuer=issuer, archived=False)
        .select_related("current_version", "issuer")
        .order_by("name")
        .first()
    )
    preview = None
    if template is not None and template.current_version is not None:
        preview = award_email_preview(
            template=template,
            email=request.user.email,
            first_name=request.user.first_name or "Ada",
            last_name=request.user.last_name or "Lovelace",
            activity_title=_("Example activity"),
        )
    return render(
        request,
        "workspace/email_settings.html",
        {
            "issuer": issuer,
            "form": form,
            "preview": preview,
            "template": template,
            "placeholders": ["{{ " + p + " }}" for p in EMAIL_PLACEHOLDERS],
        },
    )
