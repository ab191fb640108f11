"""Demo data for `make run`. Idempotent: running it again changes nothing."""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


ADMIN = DemoLogin("superuser", "admin@demo.example", "badges-demo")


@transaction.atomic
def seed() -> list[DemoLogin]:
    _ensure_user(ADMIN, is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")
    return [ADMIN]


def _ensure_user(login: DemoLogin, **fields) -> User:
    user = User.objects.filter(email=login.email).first()
    if user is None:
        user = User.objects.create_user(login.email, login.password, **fields)
    elif not user.check_password(login.password):
        # Someone changed it; the printed login must work, so put it back.
        user.set_password(login.password)
        user.save(update_fields=["password"])
    return user
