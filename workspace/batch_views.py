"""/issuers/<id>/batches/: the issuer's assignments for its staff, newest first, each
with its counts and a link to its own page (assign.views.batch_detail)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from assertions.selectors import batches_page
from core.exceptions import ApplicationError
from issuers.selectors import issuer_for_user
from workspace.paging import page_links, time_key, time_token

BATCHES_SALT = "workspace.batches.after"


@login_required
def batch_list(request, entity_id: str):
    try:
        issuer = issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None
    batches, more = batches_page(issuer, after=time_key(request, salt=BATCHES_SALT))
    links = page_links(request, (), time_token(more, salt=BATCHES_SALT))
    return render(
        request,
        "workspace/batches.html",
        {
            "issuer": issuer,
            "batches": batches,
            "next_url": links["next_url"],
            "first_url": links["first_url"],
        },
    )
