"""The earner's backpack: /me/badges. Every badge awarded to the logged-in user, across
issuers, plus the ones they imported from other platforms."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from assertions import openbadges, services
from assertions.models import Acceptance, Assertion, ImportedBadge
from assertions.selectors import (
    backpack_assertion,
    backpack_filtered,
    backpack_issuers,
    backpack_rejected,
    collection_for_user,
    collections_for_user,
)
from assertions.sharing import badge_page_context
from backpack.forms import BackpackFilterForm, CollectionForm, ImportForm
from core.exceptions import ApplicationError, NotFoundError
from core.forms import add_application_error

LOGIN = "login"


@login_required(login_url=LOGIN)
def backpack(request):
    form = BackpackFilterForm(request.GET or None, issuers=backpack_issuers(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    cards = []
    for assertion in backpack_filtered(request.user, **{k: v for k, v in filters.items() if v}):
        card = badge_page_context(assertion, now=now)
        card["thumbnail"] = openbadges.badge_image_urls(assertion.badge_template_version)[
            "image_thumbnail_path"
        ]
        # Badges that came with a recipient profile (Badgr) publish the earner's name.
        card["has_profile"] = openbadges.given_recipient_profile(assertion) is not None
        cards.append(card)
    imported = ImportedBadge.objects.filter(user=request.user)
    return render(
        request,
        "backpack/badges.html",
        {
            "form": form,
            "cards": cards,
            "rejected": backpack_rejected(request.user),
            "filtered": bool(filters and any(filters.values())),
            "imported": imported,
            "now": now,
        },
    )


def _own_badge(request, entity_id: str) -> Assertion:
    try:
        return backpack_assertion(request.user, entity_id)
    except NotFoundError:
        raise Http404(_("No such badge in your backpack.")) from None


@login_required(login_url=LOGIN)
@require_POST
def backpack_privacy(request, entity_id: str):
    assertion = _own_badge(request, entity_id)
    private = request.POST.get("private") == "1"
    services.assertion_set_private(assertion=assertion, actor=request.user, private=private)
    name = assertion.badge_template_version.name
    messages.success(
        request,
        (
            _('"%(name)s" is now private: its page is hidden from everyone but you.')
            if private
            else _('"%(name)s" is public again: anyone with its link can see and verify it.')
        )
        % {"name": name},
    )
    return redirect("backpack")


@login_required(login_url=LOGIN)
@require_POST
def backpack_name(request, entity_id: str):
    assertion = _own_badge(request, entity_id)
    public = request.POST.get("public") == "1"
    services.assertion_set_name_public(assertion=assertion, actor=request.user, public=public)
    name = assertion.badge_template_version.name
    if public:
        text = _('"%(name)s" now shows your name in its Open Badges data.')
    else:
        text = _('"%(name)s" no longer shows your name in its Open Badges data.')
    messages.success(request, text % {"name": name})
    return redirect("backpack")


@login_required(login_url=LOGIN)
@require_POST
def backpack_acceptance(request, entity_id: str):
    """Accept or reject one of your badges (a rejected one leaves the backpack and its
    public page, until you accept it after all)."""
    assertion = _own_badge(request, entity_id)
    acceptance = request.POST.get("acceptance", "")
    try:
        services.assertion_set_acceptance(
            assertion=assertion, actor=request.user, acceptance=acceptance
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("backpack")
    name = assertion.badge_template_version.name
    if acceptance == Acceptance.ACCEPTED:
        messages.success(request, _('You accepted "%(name)s".') % {"name": name})
    else:
        messages.success(
            request,
            _('You rejected "%(name)s": it is hidden from your backpack and its public page.')
            % {"name": name},
        )
    return redirect("backpack")


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def backpack_import(request):
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        try:
            imported = services.imported_badge_add(
                user=request.user,
                url=form.cleaned_data.get("url") or "",
                image=form.cleaned_data.get("image"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _('"%(name)s" from %(issuer)s was verified and added.')
                % {"name": imported.name, "issuer": imported.issuer_name},
            )
            return redirect("backpack")
    return render(request, "backpack/import.html", {"form": form})


@login_required(login_url=LOGIN)
@require_POST
def backpack_import_remove(request, entity_id: str):
    imported = ImportedBadge.objects.filter(entity_id=entity_id, user=request.user).first()
    if imported is None:
        raise Http404(_("No such imported badge."))
    services.imported_badge_remove(imported=imported, actor=request.user)
    messages.success(
        request, _('"%(name)s" was removed from your backpack.') % {"name": imported.name}
    )
    return redirect("backpack")


# --- collections ------------------------------------------------------------------------------


def _collection_or_404(request, entity_id: str):
    try:
        return collection_for_user(request.user, entity_id)
    except NotFoundError:
        raise Http404(_("No such collection.")) from None


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def collections(request):
    """Your collections, and a new one."""
    badges = backpack_filtered(request.user)
    form = CollectionForm(request.POST or None, badges=badges)
    if request.method == "POST" and form.is_valid():
        try:
            collection = services.collection_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _('Collection "%(name)s" made.') % {"name": collection.name})
            return redirect("backpack-collection", entity_id=collection.entity_id)
    return render(
        request,
        "backpack/collections.html",
        {"form": form, "collections": collections_for_user(request.user)},
    )


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def collection_edit(request, entity_id: str):
    collection = _collection_or_404(request, entity_id)
    badges = backpack_filtered(request.user)
    initial = {
        "name": collection.name,
        "description": collection.description,
        "published": collection.published,
        "assertions": [badge.entity_id for badge in collection.assertions.all()],
    }
    form = CollectionForm(request.POST or None, initial=initial, badges=badges)
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_update(
                collection=collection, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Collection saved."))
            return redirect("backpack-collection", entity_id=entity_id)
    return render(request, "backpack/collection.html", {"form": form, "collection": collection})


@login_required(login_url=LOGIN)
@require_POST
def collection_delete(request, entity_id: str):
    collection = _collection_or_404(request, entity_id)
    services.collection_delete(collection=collection, actor=request.user)
    messages.success(request, _('Collection "%(name)s" deleted.') % {"name": collection.name})
    return redirect("backpack-collections")


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def account_data(request):
    """Download everything, or delete the account (badges stay verifiable; the page
    says what goes and what stays)."""
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kept = services.earner_account_delete(
                user=request.user, password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            logout(request)
            messages.success(
                request,
                ngettext(
                    "Your account is deleted. %(count)d badge stays verifiable without "
                    "your name or address.",
                    "Your account is deleted. %(count)d badges stay verifiable without "
                    "your name or address.",
                    kept,
                )
                % {"count": kept},
            )
            return redirect("login")
    count = Assertion.objects.filter(earner__user=request.user).count()
    return render(request, "backpack/data.html", {"form": form, "count": count})


@login_required(login_url=LOGIN)
def account_data_download(request):
    archive = services.earner_data_export(user=request.user)
    filename = f"my-badges-{timezone.now():%Y%m%d}.zip"
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )
