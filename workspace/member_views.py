"""/issuers/<id>/members/: who works in the issuer, and the owners' changes - invite by
email, change a role, remove a member, revoke an invitation - each through its issuers
service (issuers.services), which holds the rules (owners only, never the last owner).
Every member reads the page (docs/security.md, "Trust model")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.forms import add_application_error
from issuers import services
from issuers.permissions import MANAGE_ISSUER, has_role
from issuers.selectors import (
    issuer_for_user,
    issuer_invitation,
    issuer_members,
    issuer_membership_of,
    issuer_pending_invitations,
)
from workspace.access import issuer_or_404
from workspace.forms import ROLE_CHOICES, ROLE_HELP, InviteForm, MemberForm, MemberRoleForm

ROLE_LABELS = dict(ROLE_CHOICES)


def _page(request, issuer, *, invite_form=None, row_errors=None, status=200):
    may_manage = has_role(request.user, issuer, MANAGE_ISSUER)
    members = [
        {
            "membership": m,
            "role_label": ROLE_LABELS.get(m.role, m.role),
            "error": (row_errors or {}).get(m.user.email, ""),
            "is_me": m.user_id == request.user.pk,
        }
        for m in issuer_members(issuer)
    ]
    invitations = [
        {"invitation": i, "role_label": ROLE_LABELS.get(i.role, i.role)}
        for i in issuer_pending_invitations(issuer)
    ]
    return render(
        request,
        "workspace/members.html",
        {
            "issuer": issuer,
            "members": members,
            "invitations": invitations,
            "may_manage": may_manage,
            "invite_form": invite_form or InviteForm(),
            "role_choices": ROLE_CHOICES,
            "role_help": ROLE_HELP,
        },
        status=status,
    )


@login_required
def member_list(request, entity_id: str):
    return _page(request, issuer_or_404(request, entity_id))


def _refused(exc: ApplicationError):
    """A member below owner posting anyway: the site's 403 page."""
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.message)


@login_required
@require_POST
def member_invite(request, entity_id: str):
    issuer = issuer_or_404(request, entity_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                issuer=issuer,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ApplicationError as exc:
            _refused(exc)
            add_application_error(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s is invited; they join when they accept the emailed link.")
                % {"email": invitation.email},
            )
            return redirect("workspace-members", entity_id=issuer.entity_id)
    return _page(request, issuer, invite_form=form, status=400)


def _member_change(request, entity_id, form_class, change):
    """A form about one member (named by their email): `change(membership, data)` calls
    the service and returns the message; its refusal shows on that member's row."""
    issuer = issuer_or_404(request, entity_id)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a member and a role."))
        return redirect("workspace-members", entity_id=issuer.entity_id)
    email = form.cleaned_data["email"]
    try:
        membership = issuer_membership_of(issuer, email)
        message = change(membership, form.cleaned_data)
    except NotFoundError:
        messages.error(request, _("%(email)s is not a member.") % {"email": email})
        return redirect("workspace-members", entity_id=issuer.entity_id)
    except ApplicationError as exc:
        _refused(exc)
        return _page(request, issuer, row_errors={membership.user.email: exc.message}, status=400)
    messages.success(request, message)
    try:  # one who removed themselves no longer sees the issuer
        issuer_for_user(request.user, issuer.entity_id)
    except ApplicationError:
        return redirect("issuer-list")
    return redirect("workspace-members", entity_id=issuer.entity_id)


@login_required
@require_POST
def member_role(request, entity_id: str):
    def change(membership, data):
        services.membership_change_role(
            membership=membership, role=data["role"], actor=request.user
        )
        return _("%(email)s is now %(role)s.") % {
            "email": membership.user.email,
            "role": ROLE_LABELS[data["role"]],
        }

    return _member_change(request, entity_id, MemberRoleForm, change)


@login_required
@require_POST
def member_remove(request, entity_id: str):
    def change(membership, data):
        services.membership_remove(membership=membership, actor=request.user)
        return _("%(email)s is no longer a member.") % {"email": membership.user.email}

    return _member_change(request, entity_id, MemberForm, change)


@login_required
@require_POST
def invitation_revoke(request, entity_id: str, invitation_id: str):
    issuer = issuer_or_404(request, entity_id)
    try:
        invitation = issuer_invitation(issuer, invitation_id)
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except NotFoundError:
        raise Http404("Invitation not found.") from None
    except ApplicationError as exc:
        _refused(exc)
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
        )
    return redirect("workspace-members", entity_id=issuer.entity_id)
