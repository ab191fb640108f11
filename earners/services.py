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


def _clean_names(first_name, last_name, metadata):
    if metadata is not None and not isinstance(metadata, dict):
        raise ApplicationError(
            "Metadata must be an object.", field_errors={"metadata": ["Give an object."]}
        )
    return (first_name or "").strip(), (last_name or "").strip()


def _merge(earner: Earner, first_name: str, last_name: str, metadata: dict | None) -> None:
    """Names given replace the stored ones (a later assignment corrects a typo); metadata
    keys given are added or replace those stored, others are kept."""
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


@transaction.atomic
def earner_get_or_create(
    *, issuer, email: str, first_name: str = "", last_name: str = "", metadata: dict | None = None
) -> tuple[Earner, bool]:
    """The issuer's earner with this email (any case), created if new, names merged."""
    email = clean_email(email)
    first_name, last_name = _clean_names(first_name, last_name, metadata)
    earner = Earner.objects.filter(issuer=issuer, email=email).first()
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
                return earner, True
        except IntegrityError:
            # Created by a concurrent request in the meantime: use that one.
            earner = Earner.objects.get(issuer=issuer, email=email)
    _merge(earner, first_name, last_name, metadata)
    return earner, False


def earner_get_or_create_locked(
    *, issuer, email: str, first_name: str = "", last_name: str = "", metadata: dict | None = None
) -> Earner:
    """Like earner_get_or_create, for use inside a transaction that awards a badge: the
    earner row comes back locked (FOR UPDATE, with its user), so awards to one earner
    run one at a time. INSERT ... ON CONFLICT DO NOTHING then SELECT ... FOR UPDATE:
    two statements, no savepoint, and no race between lookup and insert."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("earner_get_or_create_locked needs a transaction")
    email = clean_email(email)
    first_name, last_name = _clean_names(first_name, last_name, metadata)
    Earner.objects.bulk_create(
        [
            Earner(
                issuer=issuer,
                email=email,
                first_name=first_name,
                last_name=last_name,
                metadata=dict(metadata or {}),
            )
        ],
        ignore_conflicts=True,
    )
    earner = (
        Earner.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(issuer=issuer, email=email)
    )
    _merge(earner, first_name, last_name, metadata)
    return earner
