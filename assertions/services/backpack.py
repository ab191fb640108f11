"""Badges from other platforms that an earner adds to their backpack (verified, never
issued here)."""

from dataclasses import asdict

from django.db import IntegrityError, transaction
from django.utils import timezone

from assertions import ob2_verify
from assertions.models import ImportedBadge
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError


def imported_badge_add(*, user, url: str = "", image=None):
    """Verify a badge from another platform (its hosted URL, or a baked image) and add it
    to `user`'s backpack. Raises ImportRefused saying which check failed."""
    if image is not None:
        url = ob2_verify.source_from_image(image)
    if not (url or "").strip():
        raise ApplicationError(
            "Give the badge's URL or upload its baked image.",
            field_errors={"source": ["Give a URL or an image."]},
        )
    verified = ob2_verify.verify_hosted_badge(url, [user.email])
    if ImportedBadge.objects.filter(user=user, source_url=verified.source_url).exists():
        raise ConflictError(
            "This badge is already in your backpack.",
            field_errors={"source": ["Already imported."]},
            code="already_imported",
        )
    try:
        with transaction.atomic():
            return ImportedBadge.objects.create(
                user=user, verified_at=timezone.now(), **asdict(verified)
            )
    except IntegrityError:  # the same badge imported twice at once
        raise ConflictError("This badge is already in your backpack.") from None


@transaction.atomic
def imported_badge_remove(*, imported, actor) -> None:
    if actor is None or imported.user_id != actor.pk:
        raise PermissionDeniedError("Only its owner can remove an imported badge.")
    imported.delete()
