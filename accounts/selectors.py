from django.contrib.auth.hashers import is_password_usable

from accounts.models import User, normalize_email
from core.iterables import chunks


def emails_with_password(emails) -> set[str]:
    """Those of `emails` whose account has a usable password: the people who sign in
    already (an award emails the others an account-creation link instead)."""
    found = set()
    for some in chunks(sorted({normalize_email(e) for e in emails}), 5000):
        for email, password in User.objects.filter(email__in=some).values_list("email", "password"):
            if is_password_usable(password):
                found.add(email)
    return found
