"""Badges from other platforms that an earner adds to their backpack (verified, never
issued here)."""

from dataclasses import asdict

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions import ob2_verify
from assertions.models import ImportedBadge
from assertions.ob2_verify import ImportRefused
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.uploads import image_data_uri_bytes


def imported_badge_add(
    *, user, url: str = "", image=None, image_data_uri: str = "", assertion=None
):
    """Verify a badge from another platform (its hosted URL, a baked image uploaded or as
    a data URI, or its assertion JSON) and add it to `user`'s backpack. Raises
    ImportRefused saying which check failed.

    However it comes, the badge is what its hosted URL answers now (fetched through the
    guarded client, core.http): a posted assertion or a baked one only says where."""
    if image_data_uri:
        try:
            data = image_data_uri_bytes(image_data_uri)  # the upload gate's data URI reader
        except ApplicationError as exc:
            raise ImportRefused(exc.message, field_errors={"image": [exc.message]}) from None
        image = ContentFile(data, name="badge")
    if image is not None:
        url = ob2_verify.source_from_image(image)
    elif assertion is not None:
        url = _hosted_id(assertion)
    if not (url or "").strip():
        raise ApplicationError(
            _("Give the badge's URL or upload its baked image."),
            field_errors={"source": [_("Give a URL or an image.")]},
        )
    verified = ob2_verify.verify_hosted_badge(url, [user.email])
    if ImportedBadge.objects.filter(user=user, source_url=verified.source_url).exists():
        raise ConflictError(
            _("This badge is already in your backpack."),
            field_errors={"source": [_("Already imported.")]},
            code="already_imported",
        )
    try:
        with transaction.atomic():
            return ImportedBadge.objects.create(
                user=user, verified_at=timezone.now(), **asdict(verified)
            )
    except IntegrityError:  # the same badge imported twice at once
        raise ConflictError(_("This badge is already in your backpack.")) from None


def _hosted_id(assertion) -> str:
    """Where a posted Open Badges 2.0 assertion (object, or its URL) is hosted."""
    if isinstance(assertion, str) and assertion.strip().startswith(("http://", "https://")):
        return assertion.strip()
    hosted = assertion.get("id") if isinstance(assertion, dict) else None
    verification = assertion.get("verification") if isinstance(assertion, dict) else None
    signed = isinstance(verification, dict) and verification.get("type") in (
        "signed",
        "SignedBadge",
    )
    if signed or not isinstance(hosted, str) or not hosted.startswith(("http://", "https://")):
        message = _(
            "Give a hosted Open Badges 2.0 assertion (with its http(s) id); signed badges "
            "cannot be imported yet."
        )
        raise ImportRefused(message, field_errors={"assertion": [message]})
    return hosted


@transaction.atomic
def imported_badge_remove(*, imported, actor) -> None:
    if actor is None or imported.user_id != actor.pk:
        raise PermissionDeniedError(_("Only its owner can remove an imported badge."))
    imported.delete()
