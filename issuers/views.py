"""The issuer dashboard: its badge templates, recent badges, credits and assignments,
with the links into the assign wizard."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from assertions import openbadges
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from core.exceptions import ApplicationError
from issuers.permissions import MANAGE_ISSUER, has_role
from issuers.selectors import issuer_for_user, issuers_for_user
from templates_app.models import BadgeTemplate

RECENT = 10


@login_required
def issuer_list(request):
    issuers = list(issuers_for_user(request.user).order_by("name")[:200])
    if len(issuers) == 1:
        return redirect("issuer-dashboard", entity_id=issuers[0].entity_id)
    return render(request, "issuers/list.html", {"issuers": issuers})


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
    top_up_url = ""
    if has_role(request.user, issuer, MANAGE_ISSUER):
        top_up_url = reverse("admin:issuers_issuer_top_up", args=[issuer.pk])
    return render(
        request,
        "issuers/dashboard.html",
        {
            "issuer": issuer,
            "templates": templates,
            "running": running,
            "recent_batches": recent_batches,
            "recent_badges": recent_badges,
            "top_up_url": top_up_url,
        },
    )
