"""Creating earner accounts: why a bulk assignment must not hash passwords.

An account created by an assignment has no usable password until its earner sets one.
This measures, for 1,000 new accounts, `create_user` with a real password (the production
PBKDF2 hasher), `create_user` with no password, and one `bulk_create` of passwordless
users — the path the bulk-assignment service is expected to take.
"""

from django.contrib.auth.hashers import make_password
from django.test import override_settings

from accounts.models import User
from bench.figures import Figure, median_seconds

N = 1_000
SAMPLE = 10


def _clear():
    User.objects.all().delete()


def run(repeat: int) -> list[Figure]:
    emails = [f"earner{i}@bench.example" for i in range(N)]
    figures = []

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        hashed = median_seconds(
            lambda: [User.objects.create_user(e, "a-real-password") for e in emails[:SAMPLE]],
            repeat=repeat,
            setup=_clear,
        ) * (N / SAMPLE)  # scaled up: hashing 1,000 passwords takes minutes per run
    figures.append(Figure(f"create_user x{N} with PBKDF2 password (from {SAMPLE})", hashed, "s"))

    unusable = median_seconds(
        lambda: [User.objects.create_user(e) for e in emails], repeat=repeat, setup=_clear
    )
    figures.append(Figure(f"create_user x{N}, no password", unusable, "s"))

    def bulk():
        User.objects.bulk_create(User(email=e, password=make_password(None)) for e in emails)

    bulk_s = median_seconds(bulk, repeat=repeat, setup=_clear)
    figures.append(Figure(f"bulk_create x{N}, no password", bulk_s, "s"))
    figures.append(Figure("bulk_create speed-up over create_user", unusable / bulk_s, "x"))
    figures.append(Figure("bulk_create speed-up over hashed create_user", hashed / bulk_s, "x"))
    _clear()
    return figures
