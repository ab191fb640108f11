"""An earner's collections of their own badges (Badgr's backpack collections)."""

from django.db import transaction
from django.utils.translation import gettext as _

from assertions.models import Collection
from assertions.selectors import backpack_for_user
from core.exceptions import ApplicationError, NotFoundError

MAX_NAME = 128
MAX_DESCRIPTION = 2000
MAX_BADGES = 1000


def _owner_only(collection: Collection, actor) -> None:
    if actor is None or not actor.is_authenticated or collection.user_id != actor.pk:
        raise NotFoundError(_("No such collection."))


def _clean(name=None, description=None) -> dict:
    changes = {}
    if name is not None:
        name = str(name).strip()
        if not name or len(name) > MAX_NAME:
            raise ApplicationError(
                _("A collection needs a name of at most %(max)d characters.") % {"max": MAX_NAME},
                field_errors={
                    "name": [_("Give a name (at most %(max)d characters).") % {"max": MAX_NAME}]
                },
            )
        changes["name"] = name
    if description is not None:
        description = str(description).strip()
        if len(description) > MAX_DESCRIPTION:
            raise ApplicationError(
                _("The description is too long."),
                field_errors={
                    "description": [_("At most %(max)d characters.") % {"max": MAX_DESCRIPTION}]
                },
            )
        changes["description"] = description
    return changes


def _own_badges(user, entity_ids) -> list:
    """The badges of `user`'s backpack with these ids (rejected ones are not in it);
    ApplicationError naming any other id, so nobody learns what exists elsewhere."""
    ids = list(dict.fromkeys(str(i) for i in entity_ids))
    if len(ids) > MAX_BADGES:
        raise ApplicationError(
            _("A collection holds at most %(max)d badges.") % {"max": MAX_BADGES},
            field_errors={"assertions": [_("Too many badges.")]},
        )
    found = {a.entity_id: a for a in backpack_for_user(user).filter(entity_id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApplicationError(
            _("These are not badges in your backpack: %(ids)s.") % {"ids": ", ".join(missing)},
            field_errors={"assertions": [_("Give the entityIds of your own badges.")]},
        )
    return [found[i] for i in ids]


@transaction.atomic
def collection_create(
    *, actor, name: str, description: str = "", published: bool = False, assertions=()
) -> Collection:
    if actor is None or not actor.is_authenticated:
        raise NotFoundError(_("No such collection."))
    fields = _clean(name=name, description=description or "")
    badges = _own_badges(actor, assertions)
    collection = Collection.objects.create(user=actor, published=bool(published), **fields)
    collection.assertions.set(badges)
    return collection


@transaction.atomic
def collection_update(
    *, collection: Collection, actor, name=None, description=None, published=None, assertions=None
) -> Collection:
    """Change what is given (None: unchanged); `assertions` replaces the badges."""
    _owner_only(collection, actor)
    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    changes = _clean(name=name, description=description)
    if published is not None:
        changes["published"] = bool(published)
    for field, value in changes.items():
        setattr(collection, field, value)
    if changes:
        collection.save(update_fields=[*changes, "updated_at"])
    if assertions is not None:
        collection.assertions.set(_own_badges(actor, assertions))
    return collection


@transaction.atomic
def collection_delete(*, collection: Collection, actor) -> None:
    _owner_only(collection, actor)
    collection.delete()
