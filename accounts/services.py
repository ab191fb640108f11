from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_update_profile(
    *, user: User, first_name: str | None = None, last_name: str | None = None
) -> User:
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user
