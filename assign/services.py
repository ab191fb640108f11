"""The assign wizard's drafts: made, changed, discarded and expired only here.

A person has at most one draft per issuer (`assign_wizarddraft_one_per_user_and_issuer`):
starting a new one replaces the earlier. The earner list is written to the private
storage under a new name each time it changes, and the file it replaces is deleted once
the change has committed, so a request still reading the old one finds it. A file whose
transaction rolled back belongs to no draft; `drafts_expire` deletes it with the expired
drafts' files.
"""

import json
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assign.models import WizardDraft
from core.exceptions import ConflictError, NotFoundError
from core.storage import private_storage
from issuers.models import Issuer
from issuers.permissions import ASSIGN, require_role

DRAFT_LIFETIME = timedelta(days=1)
DRAFTS_DIR = "wizard-drafts"
# A file younger than this may belong to a draft whose transaction has not committed yet.
ORPHAN_AFTER = timedelta(hours=1)


def _store(draft: WizardDraft, content: dict) -> None:
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    draft.rows.save(f"{DRAFTS_DIR}/{draft.entity_id}.json", ContentFile(data), save=False)


def _delete_files_on_commit(names) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [private_storage.delete(name) for name in names])


def _owned(draft: WizardDraft, actor) -> None:
    if actor is None or draft.user_id != actor.pk:
        raise NotFoundError(_("No such assignment in progress."))


@transaction.atomic
def draft_create(*, actor, issuer: Issuer, data: dict, content: dict | None = None) -> WizardDraft:
    """A new draft of `actor` for `issuer`, replacing any earlier one of theirs there.
    `content` is the earner list (None: none entered yet)."""
    require_role(actor, issuer, ASSIGN)
    earlier = list(
        WizardDraft.objects.select_for_update().filter(user=actor, issuer=issuer).only("rows")
    )
    if earlier:
        WizardDraft.objects.filter(pk__in=[d.pk for d in earlier]).delete()
        _delete_files_on_commit(d.rows.name for d in earlier)
    draft = WizardDraft(
        user=actor, issuer=issuer, data=data, expires_at=timezone.now() + DRAFT_LIFETIME
    )
    if content is not None:
        _store(draft, content)
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        # Another request of the same person started one at the same moment.
        if draft.rows.name:
            private_storage.delete(draft.rows.name)
        message = _("Another assignment was started at the same moment; try again.")
        raise ConflictError(message) from None
    return draft


@transaction.atomic
def draft_update(
    *, draft: WizardDraft, actor, data: dict, content: dict | None = None
) -> WizardDraft:
    """Keep the steps' answers `data` and, when given, a new earner list `content`."""
    _owned(draft, actor)
    locked = WizardDraft.objects.select_for_update().filter(pk=draft.pk).only("rows").first()
    if locked is None:
        raise NotFoundError(_("This assignment in progress is no longer there; start again."))
    draft.data = data
    fields = ["data", "updated_at"]
    if content is not None:
        _store(draft, content)
        _delete_files_on_commit([locked.rows.name])
        fields.append("rows")
    draft.save(update_fields=fields)
    return draft


@transaction.atomic
def draft_discard(*, draft: WizardDraft, actor) -> None:
    """Drop a draft (confirmed, or started over) and its earner list."""
    _owned(draft, actor)
    deleted = WizardDraft.objects.select_for_update().filter(pk=draft.pk).only("rows").first()
    if deleted is not None:
        deleted.delete()
        _delete_files_on_commit([deleted.rows.name])


def drafts_expire(*, now: datetime | None = None) -> int:
    """Delete the drafts past their day, with their files, and any draft file that no
    draft holds (its transaction rolled back). Returns how many drafts were deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            WizardDraft.objects.select_for_update(skip_locked=True)
            .filter(expires_at__lte=now)
            .values_list("pk", "rows")
        )
        WizardDraft.objects.filter(pk__in=[pk for pk, _ in expired]).delete()
        _delete_files_on_commit(name for _, name in expired)
    _orphans_delete(now)
    return len(expired)


def _orphans_delete(now: datetime) -> None:
    try:
        _, names = private_storage.listdir(DRAFTS_DIR)
    except FileNotFoundError:  # no draft was ever stored
        return
    held = set(WizardDraft.objects.exclude(rows="").values_list("rows", flat=True))
    for name in names:
        path = f"{DRAFTS_DIR}/{name}"
        if path in held:
            continue
        try:
            if private_storage.get_modified_time(path) <= now - ORPHAN_AFTER:
                private_storage.delete(path)
        except FileNotFoundError:  # deleted meanwhile
            continue
