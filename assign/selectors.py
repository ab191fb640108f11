"""Reading the assign wizard's drafts: only by the person who made them, for that issuer."""

import json

from django.utils import timezone
from django.utils.translation import gettext

from assign.models import WizardDraft
from core.exceptions import NotFoundError
from issuers.models import Issuer


def draft_for(*, user, issuer: Issuer, entity_id) -> WizardDraft | None:
    """The draft `entity_id` (from the session) of `user` for `issuer`: None when it is
    gone or past its day; NotFoundError when it is someone else's, or another issuer's."""
    if not isinstance(entity_id, str):
        return None
    draft = WizardDraft.objects.filter(entity_id=entity_id).first()
    if draft is None:
        return None
    if draft.user_id != user.pk or draft.issuer_id != issuer.pk:
        raise NotFoundError(gettext("No such assignment in progress."))
    return draft if draft.expires_at > timezone.now() else None


def draft_of(*, user, issuer: Issuer) -> WizardDraft | None:
    """The draft `user` has in progress for `issuer`, if any (started in another browser)."""
    return WizardDraft.objects.filter(
        user=user, issuer=issuer, expires_at__gt=timezone.now()
    ).first()


def draft_content(draft: WizardDraft) -> dict:
    """The draft's earner list ({} when none was entered). A request that changed it
    meanwhile stored it under a new name and deletes the old file once committed: the
    draft is read again then."""
    try:
        return _read(draft)
    except FileNotFoundError:
        try:
            draft.refresh_from_db(fields=["rows"])
        except WizardDraft.DoesNotExist:  # confirmed or discarded meanwhile
            raise NotFoundError(
                gettext("This assignment in progress is no longer there.")
            ) from None
        return _read(draft)


def _read(draft: WizardDraft) -> dict:
    if not draft.rows:
        return {}
    with draft.rows.storage.open(draft.rows.name, "rb") as handle:
        return json.load(handle)
