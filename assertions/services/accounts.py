"""The earners of an award and their user accounts, found or made in bulk and locked.

An earner without an account gets one with no usable password; the award email then
carries the set-password link (and keeps carrying it until a password is chosen). The
earner rows come back locked for the award's transaction, so awards to one earner run
one at a time: that is what makes the duplicate rule and the idempotency of an award
race-free. Names and metadata merge as `earners.services.earner_merge` says.
"""

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from core.inserts import insert_many, instances
from core.queries import unique_compiled
from earners.models import Earner
from earners.services import earner_merge
from issuers.models import Issuer


def _merged(earner: Earner, rows: list[dict]) -> list[str]:
    changed = []
    for row in rows:
        changed += earner_merge(
            earner,
            first_name=row.get("first_name") or "",
            last_name=row.get("last_name") or "",
            metadata=row.get("metadata"),
            language=row.get("language") or "",
        )
    return changed


def _accounts_for(people: dict[str, Earner]) -> dict[str, User]:
    """email -> user account, made without a usable password for those who have none."""
    # An unusable password ("!" + random text) never matches anything, so one value
    # serves every account made here: making one per user costs 40 random draws each.
    unusable = make_password(None)
    made = insert_many(
        instances(
            User,
            (
                {
                    "email": email,
                    "password": unusable,
                    "first_name": earner.first_name,
                    "last_name": earner.last_name,
                }
                for email, earner in people.items()
            ),
        ),
        ignore_conflicts=True,  # the email has an account already: link that one
        key="email",
    )
    users = {user.email: user for user in made}
    others = [email for email in people if email not in users]
    if others:
        users.update((user.email, user) for user in User.objects.filter(email__in=others))
    return users


def _earner_locked(issuer_id: int, email: str):
    return Earner.objects.select_for_update(of=("self",)).filter(issuer_id=issuer_id, email=email)


def _locked(issuer: Issuer, emails: list[str]) -> dict[str, Earner]:
    # Their accounts are read only if an email needs them (accounts_load): a join here
    # costs every award, most of which send no email.
    if len(emails) == 1:
        # One award's earner (the API's): its SQL compiled once, as building the query
        # cost a tenth of an award's CPU. One row needs no order.
        earner = unique_compiled(_earner_locked, issuer.pk, emails[0])
        return {} if earner is None else {earner.email: earner}
    # Several rows are locked in the model's order (by email), so that two awards to the
    # same earners cannot each wait for the other.
    locking = Earner.objects.select_for_update(of=("self",)).filter(issuer=issuer, email__in=emails)
    return {earner.email: earner for earner in locking}


def accounts_load(earners: list[Earner]) -> None:
    """Read in one query the accounts of `earners` that do not carry theirs yet."""
    missing = {e.user_id for e in earners if not Earner.user.is_cached(e)}
    if missing:
        users = User.objects.in_bulk(missing)
        for earner in earners:
            if not Earner.user.is_cached(earner):
                earner.user = users[earner.user_id]


def earners_for_rows(*, issuer: Issuer, rows: list[dict]) -> dict[str, Earner]:
    """email -> the issuer's earner for each row's (clean) email, locked, with a user
    account (read with `accounts_load` when wanted): the earners there already are read
    and locked; the others are inserted with their accounts already linked (a row a
    transaction inserts is its own until it ends, so it needs no reading back). Only
    earners whose names, metadata or account changed are updated."""
    by_email: dict[str, list[dict]] = {}
    for row in rows:
        by_email.setdefault(row["email"], []).append(row)
    earners = _locked(issuer, list(by_email))
    new = ({"issuer": issuer, "email": email} for email in by_email if email not in earners)
    fresh = {earner.email: earner for earner in instances(Earner, new)}
    for email, earner in fresh.items():
        _merged(earner, by_email[email])
    unlinked = {email: e for email, e in earners.items() if e.user_id is None}
    users = _accounts_for({**fresh, **unlinked}) if fresh or unlinked else {}
    for email, earner in fresh.items():
        earner.user = users[email]
    made = {
        e.email: e for e in insert_many(list(fresh.values()), ignore_conflicts=True, key="email")
    }
    # Made by a concurrent award since the read above (or, elsewhere than PostgreSQL,
    # not told apart by the insert): read and lock those.
    if len(made) < len(fresh):
        earners.update(_locked(issuer, [email for email in fresh if email not in made]))
    earners.update(made)
    changed, now = [], timezone.now()
    for email, earner in earners.items():
        if email in made:
            continue
        fields = _merged(earner, by_email[email])
        if earner.user_id is None:
            earner.user = users[email]
            fields.append("user")
        if fields:
            earner.updated_at = now  # bulk_update leaves auto_now fields as they are
            changed.append(earner)
    if changed:
        Earner.objects.bulk_update(
            changed,
            ["first_name", "last_name", "language", "metadata", "user", "updated_at"],
            batch_size=500,
        )
    return earners
