"""/issuers/<id>/earners/...: the issuer's earners for its staff - the list (search by
name or email, keyset pages) and each earner's page with the badges this issuer gave
them. Reads only: earners change through the awards (assertions.services)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from assertions.selectors import badges_page, earner_badges
from core.exceptions import ApplicationError
from earners.selectors import earner_for_issuer, earners_page, issuer_earners_filtered
from workspace.access import issuer_or_404
from workspace.forms import EarnerSearchForm
from workspace.paging import cursor_key, cursor_token, page_links, time_key, time_token

EARNERS_SALT = "workspace.earners.after"
EARNER_BADGES_SALT = "workspace.earner-badges.after"


@login_required
def earner_list(request, entity_id: str):
    issuer = issuer_or_404(request, entity_id)
    form = EarnerSearchForm(request.GET if request.GET.get("q") else None)
    q = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    after = cursor_key(request, salt=EARNERS_SALT)
    earners, more = earners_page(
        issuer_earners_filtered(issuer, q=q), after=after if isinstance(after, str) else None
    )
    links = page_links(request, ("q",), cursor_token(more, salt=EARNERS_SALT) if more else None)
    return render(
        request,
        "workspace/earners.html",
        {
            "issuer": issuer,
            "form": form,
            "earners": earners,
            "searched": bool(q),
            "next_url": links["next_url"],
            "first_url": links["first_url"],
        },
    )


@login_required
def earner_detail(request, entity_id: str, earner_id: str):
    issuer = issuer_or_404(request, entity_id)
    try:
        earner = earner_for_issuer(issuer, earner_id)
    except ApplicationError:
        raise Http404("Earner not found.") from None
    badges, more = badges_page(
        earner_badges(earner), after=time_key(request, salt=EARNER_BADGES_SALT)
    )
    links = page_links(request, (), time_token(more, salt=EARNER_BADGES_SALT))
    return render(
        request,
        "workspace/earner.html",
        {
            "issuer": issuer,
            "earner": earner,
            "badges": badges,
            "next_url": links["next_url"],
            "first_url": links["first_url"],
        },
    )
