from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.services import clean_email
from core.exceptions import ApplicationError, ConflictError
from core.i18n import language_clean
from earners.models import Earner
from issuers.permissions import ASSIGN, require_role


def _clean_names(first_name, last_name, metadata):
    if metadata is not None and not isinstance(metadata, dict):
        raise ApplicationError(
            _("Metadata must be an object."), field_errors={"metadata": [_("Give an object.")]}
        )
    return (first_name or "").strip(), (last_name or "").strip()


def earner_merge(
    earner: Earner, *, first_name: str = "", last_name: str = "", metadata=None, language=""
):
    """Apply what an award or a list says of an earner, unsaved; the fields changed.

    Names and a language given replace the stored ones (a later assignment corrects a
    typo); metadata keys given are added or replace those stored, others are kept."""
    changed = []
    if language and language != earner.language:
        earner.language = language
        changed.append("language")
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
    return changed


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
    changed = earner_merge(earner, first_name=first_name, last_name=last_name, metadata=metadata)
    if changed:
        earner.save(update_fields=[*changed, "updated_at"])
    return earner, False


def _check_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ApplicationError(
            _("Metadata must be an object."), field_errors={"metadata": [_("Give an object.")]}
        )
    return dict(metadata)


@transaction.atomic
def earner_create(
    *,
    issuer,
    email: str,
    actor=None,
    first_name: str = "",
    last_name: str = "",
    metadata: dict | None = None,
) -> Earner:
    """Add an earner to an issuer (staff and up). Not linked to any account yet: the
    first award links the earner to the account with the email, made if there is none
    (assertions.services). Linking here would tell the issuer, through `has_account`,
    whether anyone on the platform uses an address it merely typed in."""
    require_role(actor, issuer, ASSIGN)
    email = clean_email(email)
    first_name, last_name = _clean_names(first_name, last_name, metadata)
    earner = Earner(
        issuer=issuer,
        email=email,
        first_name=first_name,
        last_name=last_name,
        metadata=_check_metadata(metadata),
    )
    try:
        with transaction.atomic():
            earner.save()
    except IntegrityError:
        raise ConflictError(
            _("%(issuer)s already has an earner with the email %(email)s.")
            % {"issuer": issuer.name, "email": email},
            field_errors={"email": [_("This organization already has an earner with this email.")]},
            code="duplicate_earner",
        ) from None
    return earner


EARNER_EDITABLE = {"first_name", "last_name", "metadata", "language"}


@transaction.atomic
def earner_update(*, earner: Earner, actor=None, **changes) -> Earner:
    """Correct an earner's names or replace their metadata. The email identifies the
    earner (badges were issued to it), so it is not changed here."""
    require_role(actor, earner.issuer, ASSIGN)
    unknown = set(changes) - EARNER_EDITABLE
    if unknown:
        raise ApplicationError(
            _("These earner fields cannot be changed: %(names)s.")
            % {"names": ", ".join(sorted(unknown))},
            field_errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)},
        )
    if "metadata" in changes:
        changes["metadata"] = _check_metadata(changes["metadata"])
    if "language" in changes:
        language = language_clean(changes["language"])
        if language is None:
            raise ApplicationError(
                _("%(language)r is not a language of this platform.")
                % {"language": changes["language"]},
                field_errors={"language": [_("Choose one of the languages offered.")]},
            )
        changes["language"] = language
    for field in ("first_name", "last_name"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    for field, value in changes.items():
        setattr(earner, field, value)
    if changes:
        earner.save(update_fields=[*changes, "updated_at"])
    return earner


@transaction.atomic
def earner_delete(*, earner: Earner, actor=None) -> None:
    """Delete an earner who holds no badges (awarded badges keep their earner)."""
    require_role(actor, earner.issuer, ASSIGN)
    if earner.assertions.exists():
        raise ConflictError(
            _("%(email)s holds badges and cannot be deleted; revoke the badges instead.")
            % {"email": earner.email},
            code="earner_has_badges",
        )
    earner.delete()
