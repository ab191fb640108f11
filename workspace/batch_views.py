"""/issuers/<id>/batches/: the issuer's assignments for its staff, newest first, each
with its counts and a link to its own page (assign.views.batch_detail)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from assertions.selectors import batches_page
from workspace.access import issuer_or_404
from workspace.paging import page_links, time_key, time_token

BATCHES_SALT = "workspace.batches.after"


@login_required
def batch_list(request, entity_id: str):
    issuer = issuer_or_404(request, entity_id)
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
