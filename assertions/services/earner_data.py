"""An earner's own data: all of it in one download, and deleting their account.

Deleting an account removes the person, not the badges: a badge awarded to them stays
verifiable (its page, its Open Badges document with the salted hash of the address, its
revocation status), because whoever was shown it must still be able to check it, as
Open Badges requires. What goes is what says who they are: the account, their names and
address on every badge and earner record, the emails sent to them, the badges they
added from other platforms.
"""

import json
import tempfile
import zipfile

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from assertions import openbadges, public_cache
from assertions.baked import baked_image
from assertions.baking import BakingError
from assertions.models import Assertion, ImportedBadge
from core.exceptions import ApplicationError, ConflictError
from core.models import OutboundEmail
from core.timefmt import format_iso_z
from earners.models import Earner
from issuers.models import IssuerMembership


def _when(value):
    return format_iso_z(value) if value else None


def _badge(assertion: Assertion, image_name: str | None) -> dict:
    version = assertion.badge_template_version
    return {
        "id": assertion.entity_id,
        "url": assertion.url,
        "badge": version.name,
        "description": version.description,
        "issuer": assertion.organization.name,
        "status": assertion.status,
        "recipient_email": assertion.recipient_email,
        "recipient_first_name": assertion.recipient_first_name,
        "recipient_last_name": assertion.recipient_last_name,
        "activity_title": assertion.activity_title,
        "issued_on": _when(assertion.emitted_at),
        "expires_at": _when(assertion.expires_at),
        "revoked_at": _when(assertion.revoked_at),
        "revoked_reason": assertion.revoked_reason,
        "narrative": assertion.narrative,
        "evidence": assertion.evidence,
        "additional_details": assertion.additional_details,
        "private": assertion.is_private,
        "baked_image": image_name,
        "open_badges_assertion": openbadges.assertion_document(assertion),
        "events": [
            {"kind": e.kind, "at": _when(e.created_at)}
            for e in sorted(assertion.events.all(), key=lambda e: (e.created_at, e.pk))
        ],
    }


def earner_data_export(*, user) -> tempfile.SpooledTemporaryFile:
    """A zip of everything the platform holds about `user` as an earner: `data.json`
    (account, earner records per issuer, badges with their events and Open Badges
    documents, the emails sent to them, badges added from elsewhere) and each badge's
    baked image under `badges/`. Returned open, at its start."""
    badges = (
        Assertion.objects.filter(earner__user=user)
        .select_related("organization", "badge_template_version", "badge_template", "earner")
        .prefetch_related("events")
        .order_by("emitted_at", "pk")
    )
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        listed = []
        for assertion in badges:
            name = None
            try:
                data, _type, filename = baked_image(assertion)
            except (OSError, BakingError, ValueError):
                pass  # the image file is gone: the badge is still listed
            else:
                name = f"badges/{filename}"
                archive.writestr(name, data)
            listed.append(_badge(assertion, name))
        emails = OutboundEmail.objects.filter(user=user).order_by("created_at", "pk")
        doc = {
            "account": {
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "joined": _when(user.date_joined),
                "last_login": _when(user.last_login),
            },
            "earner_records": [
                {
                    "issuer": earner.issuer.name,
                    "email": earner.email,
                    "first_name": earner.first_name,
                    "last_name": earner.last_name,
                    "language": earner.language,
                    "metadata": earner.metadata,
                }
                for earner in Earner.objects.filter(user=user).select_related("issuer")
            ],
            "badges": listed,
            "emails": [
                {
                    "kind": email.kind,
                    "to": email.to_email,
                    "subject": email.subject,
                    "status": email.status,
                    "queued_at": _when(email.created_at),
                    "sent_at": _when(email.sent_at),
                }
                for email in emails
            ],
            "badges_from_elsewhere": [
                {
                    "name": badge.name,
                    "issuer": badge.issuer_name,
                    "source_url": badge.source_url,
                    "issued_on": _when(badge.issued_on),
                    "assertion": badge.assertion,
                }
                for badge in ImportedBadge.objects.filter(user=user).order_by("pk")
            ],
        }
        archive.writestr("data.json", json.dumps(doc, indent=2, ensure_ascii=False))
    out.seek(0)
    return out


@transaction.atomic
def earner_account_delete(*, user, password: str) -> int:
    """Delete `user`'s account and personal data, keeping their badges verifiable (see
    the module's docstring); returns how many badges were kept. The password confirms
    it is them; someone who is a member of an issuer leaves it first (an issuer must not
    lose its owner by accident)."""
    if not user.has_usable_password() or not user.check_password(password or ""):
        raise ApplicationError(
            _("Your password is not right."),
            field_errors={"password": [_("Not your password.")]},
            code="wrong_password",
        )
    if IssuerMembership.objects.filter(user=user).exists():
        raise ConflictError(
            _(
                "You are a member of an issuer. Leave it (or hand it over) first; then "
                "you can delete your account."
            ),
            code="issuer_member",
        )
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    badges = list(
        Assertion.objects.select_for_update()
        .filter(earner__user=user)
        .values_list("pk", "entity_id")
    )
    pks = [pk for pk, _entity_id in badges]
    Assertion.objects.filter(pk__in=pks).update(
        recipient_email="", recipient_first_name="", recipient_last_name=""
    )
    # What the emails said (names, addresses, links) goes with them; the badges' events
    # keep only that an email was sent (their payload holds no address).
    OutboundEmail.objects.filter(user=user).delete()
    OutboundEmail.objects.filter(assertion_id__in=pks).delete()
    for earner in Earner.objects.select_for_update().filter(user=user):
        # The address is unique per issuer and required: a stand-in that is no address.
        earner.email = f"deleted-{earner.pk}@deleted.invalid"
        earner.first_name = earner.last_name = earner.language = ""
        earner.metadata = {}
        earner.user = None
        earner.save(
            update_fields=[
                "email", "first_name", "last_name", "language", "metadata", "user", "updated_at"
            ]
        )  # fmt: skip
    user.delete()  # its imported badges, tokens and sessions' keys go with it
    public_cache.invalidate_on_commit(*[entity_id for _pk, entity_id in badges])
    return len(badges)
