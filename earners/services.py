from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import normalize_email
from core.exceptions import ApplicationError
from earners.models import Earner


def clean_email(email) -> str:
    value = normalize_email(email if isinstance(email, str) else "")
    try:
        validate_email(value)
    except ValidationError:
        raise ApplicationError(
            f"{email!r} is not a valid email address.",
            field_errors={"email": ["Enter a valid email address."]},
            code="invalid_email",
        ) from None
    return value


@transaction.atomic
def earner_get_or_create(
    *, issuer, email: str, first_name: str = "", last_name: str = "", metadata: dict | None = None
) -> tuple[Earner, bool]:
    """The issuer's earner with this email (any case), created if new.

    Names given replace the stored ones (a later assignment corrects a typo); metadata
    keys given are added or replace those stored, others are kept.
    """
    email = clean_email(email)
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    if metadata is not None and not isinstance(metadata, dict):
        raise ApplicationError(
            "Metadata must be an object.", field_errors={"metadata": ["Give an object."]}
        )
    earner = Earner.objects.filter(issuer=issuer, email=email).first()
    created = False
    if earner is None:
        try:
            with transaction.atomic():
                earner = Earner.objects.create(
                    issuer=issuer,
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    metadata=dict(metadata or {}),
                )
                created = True
        except IntegrityError:
            # Created by a concurrent request in the meantime: use that one.
            earner = Earner.objects.get(issuer=issuer, email=email)
    if not created:
        changed = []
        if first_name and first_name != earner.first_name:
            earner.first_name = first_name
            changed.append("first_name")
        if last_name and last_name != earner.last_name:
            earner.last_name = last_name
            changed.append("last_name")
        if metadata:
            merged = {**earner.metadata, **metadata}
            if merged != earner.metadata:
                earner.metadata = merged
                changed.append("metadata")
        if changed:
            earner.save(update_fields=[*changed, "updated_at"])
    return earner, created
