"""/issuers/<id>/credits/: the issuer's credit balance and ledger for every member, and
the owners' request for more (issuers.services.credit_request_create, which emails the
platform's operators; they grant or decline it in the admin)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError, PermissionDeniedError
from core.forms import add_application_error
from issuers.links import credits_links
from issuers.permissions import MANAGE_ISSUER, has_role
from issuers.selectors import credit_requests_recent, ledger_page
from issuers.services import credit_request_create
from workspace.access import issuer_or_404
from workspace.forms import CreditRequestForm
from workspace.paging import page_links, time_key, time_token

LEDGER_SALT = "workspace.ledger.after"
REASONS = {
    "top_up": gettext_lazy("Credits added"),
    "assignment": gettext_lazy("Assignment"),
    "refund": gettext_lazy("Refund"),
}
REQUEST_STATUSES = {
    "pending": gettext_lazy("waiting for the operators"),
    "granted": gettext_lazy("granted"),
    "declined": gettext_lazy("declined"),
}


@login_required
@require_http_methods(["GET", "POST"])
def credits(request, entity_id: str):
    issuer = issuer_or_404(request, entity_id)
    may_ask = has_role(request.user, issuer, MANAGE_ISSUER)
    form = CreditRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                credit_request_create(
                    issuer=issuer,
                    actor=request.user,
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your request is sent to the platform's operators; "
                        "you will see here when they decide."
                    ),
                )
                return redirect("workspace-credits", entity_id=issuer.entity_id)
        elif not may_ask:
            raise PermissionDenied
        status = 400
    entries, more = ledger_page(issuer, after=time_key(request, salt=LEDGER_SALT))
    links = page_links(request, (), time_token(more, salt=LEDGER_SALT))
    return render(
        request,
        "workspace/credits.html",
        {
            "issuer": issuer,
            "entries": [{"entry": e, "reason": REASONS.get(e.reason, e.reason)} for e in entries],
            "requests": [
                {"request": r, "status": REQUEST_STATUSES.get(r.status, r.status)}
                for r in credit_requests_recent(issuer)
            ],
            "may_ask": may_ask,
            "form": form,
            "next_url": links["next_url"],
            "first_url": links["first_url"],
            **credits_links(request.user, issuer),
        },
        status=status,
    )
