"""/issuers/<id>/badges/...: every badge of an issuer for its staff - the list (search,
filters, keyset pages, CSV export of what is shown) and each badge's page with its
history, its emails and the actions (revoke, resend, correct the name, set the expiry).
The reads are assertions.selectors', every change an assertions service's."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from assertions.api.v1 import exports as badge_exports
from assertions.models import AssertionStatus, AssignmentBatch
from assertions.selectors import (
    badge_for_issuer,
    badge_history,
    badges_page,
    issuer_badges_among,
    issuer_badges_filtered,
)
from assertions.services import (
    assertion_resend_latest_email,
    assertion_revoke,
    assertion_update,
    assertions_revoke_many,
)
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.templatetags.zoned_times import zoned_text
from core.timefmt import day_end, day_start, get_zone
from issuers.permissions import ASSIGN, has_role
from templates_app.models import BadgeTemplate
from workspace.access import issuer_or_404
from workspace.forms import BadgeFilterForm, ExpiryForm, NameForm, RevokeForm, SelectionForm
from workspace.paging import page_links, time_key, time_token

CURSOR_SALT = "workspace.badges.after"
FILTERS = ("q", "template", "status", "batch", "issued_from", "issued_to", "imported")


def _filter_form(request, issuer) -> BadgeFilterForm:
    templates = (
        BadgeTemplate.objects.filter(issuer=issuer)
        .order_by("name")
        .values_list("entity_id", "name")[:500]
    )
    batches = [
        (entity_id, f"{name} · {zoned_text(created, issuer.timezone, with_time=False)}")
        for entity_id, name, created in AssignmentBatch.objects.filter(issuer=issuer)
        .order_by("-created_at")
        .values_list("entity_id", "badge_template_version__name", "created_at")[:100]
    ]
    data = request.GET if any(request.GET.get(k) for k in FILTERS) else None
    return BadgeFilterForm(data, templates=templates, batches=batches)


def _filtered(form: BadgeFilterForm, issuer):
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    zone = issuer.timezone
    start, end = data.get("issued_from"), data.get("issued_to")
    return issuer_badges_filtered(
        issuer,
        q=data.get("q", ""),
        template=data.get("template", ""),
        status=data.get("status", ""),
        batch=data.get("batch", ""),
        issued_from=day_start(start, zone) if start else None,
        issued_to=day_start(end + dt.timedelta(days=1), zone) if end else None,
        imported=data.get("imported", ""),
    )


@login_required
def badge_list(request, entity_id: str):
    issuer = issuer_or_404(request, entity_id)
    form = _filter_form(request, issuer)
    badges, more = badges_page(_filtered(form, issuer), after=time_key(request, salt=CURSOR_SALT))
    links = page_links(request, FILTERS, time_token(more, salt=CURSOR_SALT))
    query = links["query"]
    return render(
        request,
        "workspace/badges.html",
        {
            "issuer": issuer,
            "form": form,
            "badges": badges,
            "next_url": links["next_url"],
            "first_url": links["first_url"],
            "export_url": reverse("workspace-badges-export", args=[issuer.entity_id])
            + ("?" + query.urlencode() if query else ""),
            "export_xlsx_url": reverse("workspace-badges-export-xlsx", args=[issuer.entity_id])
            + ("?" + query.urlencode() if query else ""),
            "filtered": bool(query),
            "selection_form": SelectionForm(),
            "back": request.get_full_path(),
        },
    )


@login_required
@require_POST
def badge_selection(request, entity_id: str):
    """Revoke, or send again the email of, the badges ticked on a page of the list, one
    by one through the services; then back to that page with what happened."""
    issuer = issuer_or_404(request, entity_id)
    form = SelectionForm(request.POST)
    list_url = reverse("workspace-badges", args=[issuer.entity_id])
    back = request.POST.get("back", "")
    back = back if back.startswith(list_url) else list_url
    badges = issuer_badges_among(issuer, request.POST.getlist("badge"))
    if not badges:
        messages.error(request, _("Tick at least one badge."))
        return redirect(back)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    if form.cleaned_data["action"] == "revoke":
        reason = form.cleaned_data["reason"]
        outcomes = assertions_revoke_many(
            items=[(badge.entity_id, reason) for badge in badges],
            actor=request.user,
            notify=form.cleaned_data["notify"],
        )
        done = sum(1 for outcome in outcomes if outcome.revoked)
        problems = [o.reason for o in outcomes if not o.revoked]
        message = ngettext("%(n)s badge revoked.", "%(n)s badges revoked.", done) % {"n": done}
    else:
        done, problems = 0, []
        for badge in badges:
            try:
                assertion_resend_latest_email(assertion=badge, actor=request.user)
            except ApplicationError as exc:
                problems.append(f"{badge.recipient_email}: {exc.message}")
            else:
                done += 1
        message = ngettext(
            "%(n)s email is on its way again.", "%(n)s emails are on their way again.", done
        ) % {"n": done}
    messages.success(request, message)
    for problem in problems[:20]:
        messages.warning(request, problem)
    return redirect(back)


@login_required
def badge_export(request, entity_id: str, fmt: str = "csv"):
    """The filtered list, every page of it, as CSV or XLSX: the Open Badge API's badge
    columns and time formats, rows read in chunks and streamed as they are written:
    assertions.api.v1.exports."""
    issuer = issuer_or_404(request, entity_id)
    form = _filter_form(request, issuer)
    respond = badge_exports.xlsx_response if fmt == "xlsx" else badge_exports.csv_response
    return respond(_filtered(form, issuer))


def _badge(request, entity_id, badge_id):
    issuer = issuer_or_404(request, entity_id)
    try:
        return issuer, badge_for_issuer(issuer, badge_id)
    except ApplicationError:
        raise Http404("Badge not found.") from None


def _detail(request, issuer, badge, *, forms=None, status=200):
    events, emails = badge_history(badge)
    forms = forms or {}
    local_expiry = (
        badge.expires_at.astimezone(get_zone(issuer.timezone)) if badge.expires_at else None
    )
    context = {
        "issuer": issuer,
        "badge": badge,
        "events": events,
        "emails": emails,
        "may_change": has_role(request.user, issuer, ASSIGN),
        "revoked": badge.status == AssertionStatus.REVOKED,
        "revoke_form": forms.get("revoke") or RevokeForm(),
        "name_form": forms.get("name")
        or NameForm(
            initial={
                "recipient_first_name": badge.recipient_first_name,
                "recipient_last_name": badge.recipient_last_name,
            }
        ),
        "expiry_form": forms.get("expiry")
        or ExpiryForm(
            initial={
                "validity": "date" if badge.expires_at else "never",
                "expires_on": local_expiry.date() if local_expiry else None,
            }
        ),
    }
    return render(request, "workspace/badge.html", context, status=status)


@login_required
def badge_detail(request, entity_id: str, badge_id: str):
    issuer, badge = _badge(request, entity_id, badge_id)
    return _detail(request, issuer, badge)


def _done(request, issuer, badge, message):
    messages.success(request, message)
    return redirect("workspace-badge", entity_id=issuer.entity_id, badge_id=badge.entity_id)


def _act(request, issuer, badge, *, form, key: str, change, aliases=None):
    """A badge action's form: when it is valid, `change(cleaned_data)` (a service call
    that returns the message to show) and back to the badge; else (or when the service
    refuses) the badge's page with the form's errors under their fields."""
    if form.is_valid():
        try:
            message = change(form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc, aliases=aliases)
        else:
            return _done(request, issuer, badge, message)
    return _detail(request, issuer, badge, forms={key: form}, status=400)


@login_required
@require_POST
def badge_revoke(request, entity_id: str, badge_id: str):
    issuer, badge = _badge(request, entity_id, badge_id)

    def revoke(data):
        _revoked, changed = assertion_revoke(
            assertion=badge, actor=request.user, reason=data["reason"], notify=data["notify"]
        )
        return _("The badge is revoked.") if changed else _("The badge was already revoked.")

    return _act(request, issuer, badge, form=RevokeForm(request.POST), key="revoke", change=revoke)


@login_required
@require_POST
def badge_resend(request, entity_id: str, badge_id: str):
    issuer, badge = _badge(request, entity_id, badge_id)
    try:
        copy = assertion_resend_latest_email(assertion=badge, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workspace-badge", entity_id=issuer.entity_id, badge_id=badge.entity_id)
    return _done(
        request,
        issuer,
        badge,
        _("The email is on its way again to %(to)s.") % {"to": copy.to_email},
    )


@login_required
@require_POST
def badge_rename(request, entity_id: str, badge_id: str):
    issuer, badge = _badge(request, entity_id, badge_id)

    def rename(data):
        assertion_update(assertion=badge, actor=request.user, **data)
        return _("The earner's name is corrected.")

    return _act(request, issuer, badge, form=NameForm(request.POST), key="name", change=rename)


@login_required
@require_POST
def badge_expiry(request, entity_id: str, badge_id: str):
    issuer, badge = _badge(request, entity_id, badge_id)

    def set_expiry(data):
        day = data.get("expires_on")
        expires_at = day_end(day, issuer.timezone) if data["validity"] == "date" else None
        assertion_update(assertion=badge, actor=request.user, expires_at=expires_at)
        return _("The expiry is set.")

    return _act(
        request,
        issuer,
        badge,
        form=ExpiryForm(request.POST),
        key="expiry",
        change=set_expiry,
        aliases={"expires_at": "expires_on"},
    )
