"""Every write of the credentials app: issuer keys, status list entries, revocation bits;
and the signed documents built from them.

Keys: an issuer gets an Ed25519 key when it is created (`issuer_key_create`, on
issuers.signals.issuer_created); issuers older than this feature get one on first use.
Rotation retires the active key (still published) and makes a new one.

Status: an assertion gets its index in the issuer's current status list the first time
its credential is signed (assertions that never leave as credentials take no index).
The assertion row is locked while its entry is made, and `assertion_revoke` holds the
same lock while it flips the bit (`status_entry_revoke`, on
assertions.signals.assertion_revoked), so a revocation can never be lost to a concurrent
first download.
"""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assertions import public_cache
from assertions.models import Acceptance, Assertion, AssertionStatus
from core.exceptions import ApplicationError, ConflictError
from core.iterables import chunks
from credentials import crypto, documents, signing
from credentials.models import IssuerKey, StatusEntry, StatusList
from issuers.permissions import MANAGE_ISSUER, require_role


class CredentialUnavailableError(ConflictError):
    default_code = "credential_unavailable"


# --- keys ---------------------------------------------------------------------------------


def _key_context(issuer, key_id: str) -> str:
    return f"{issuer.entity_id}#{key_id}"


def _new_key(issuer) -> IssuerKey:
    private = signing.generate_key()
    number = IssuerKey.objects.filter(issuer=issuer).count() + 1
    key_id = f"key-{number}"
    return IssuerKey.objects.create(
        issuer=issuer,
        key_id=key_id,
        public_jwk=private.as_dict(private=False),
        private_key_encrypted=crypto.encrypt(
            signing.private_key_bytes(private), context=_key_context(issuer, key_id)
        ),
    )


def issuer_key_create(*, issuer) -> IssuerKey:
    """The issuer's active signing key, made if it has none (race-free: one active key
    per issuer is a unique constraint; the loser of a race reads the winner's)."""
    existing = IssuerKey.objects.filter(issuer=issuer, active=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _new_key(issuer)
    except IntegrityError:
        return IssuerKey.objects.get(issuer=issuer, active=True)


@transaction.atomic
def issuer_key_rotate(*, issuer, actor=None) -> IssuerKey:
    """Retire the active key (it stays in the DID document and JWKS, so what it signed
    still verifies) and make a new one that signs from now on."""
    require_role(actor, issuer, MANAGE_ISSUER)
    # The issuer's keys are locked so that two rotations cannot both retire one key.
    list(IssuerKey.objects.select_for_update().filter(issuer=issuer))
    IssuerKey.objects.filter(issuer=issuer, active=True).update(
        active=False, retired_at=timezone.now(), updated_at=timezone.now()
    )
    # Cached status lists signed by the old key stay valid (it is still published);
    # they are re-signed with the new one as they expire.
    return _new_key(issuer)


@transaction.atomic
def issuer_key_withdraw(*, key: IssuerKey, actor=None) -> IssuerKey:
    """Stop publishing a compromised key: whatever was signed with it (by the issuer or
    by whoever holds the key) no longer verifies. When it is the active key, a new one
    takes over. The issuer's cached credentials and status lists are dropped once this
    commits, so the next download of each is signed by the active key. Returns the
    issuer's active key."""
    issuer = key.issuer
    require_role(actor, issuer, MANAGE_ISSUER)
    keys = {k.pk: k for k in IssuerKey.objects.select_for_update().filter(issuer=issuer)}
    key = keys[key.pk]
    if key.withdrawn_at is not None:
        raise ConflictError(f"{key.key_id} was withdrawn already.", code="key_withdrawn")
    now = timezone.now()
    if key.active:
        key.active, key.retired_at = False, now
    key.withdrawn_at = now
    key.save(update_fields=["active", "retired_at", "withdrawn_at", "updated_at"])
    active = next((k for k in keys.values() if k.active), None)  # `key` is not, now
    if active is None:
        active = _new_key(issuer)
    transaction.on_commit(lambda: _forget_signed(issuer))
    return active


def _forget_signed(issuer) -> None:
    """Drop every cached credential and status list of the issuer (they are signed)."""
    entity_ids = Assertion.objects.filter(organization=issuer).values_list("entity_id", flat=True)
    for chunk in chunks(entity_ids.iterator(chunk_size=2000), 2000):
        public_cache.invalidate(*chunk)
    for number in StatusList.objects.filter(issuer=issuer).values_list("number", flat=True):
        _status_cache_renew(issuer.pk, number)


def issuer_keys(issuer) -> list[IssuerKey]:
    """Every key the issuer signed with that is still published, the active one last."""
    return list(
        IssuerKey.objects.filter(issuer=issuer, withdrawn_at__isnull=True).order_by(
            "created_at", "id"
        )
    )


def signing_key(issuer):
    """(IssuerKey, joserfc private key) of the issuer's active key."""
    key = issuer_key_create(issuer=issuer)
    try:
        raw = crypto.decrypt(key.private_key_encrypted, context=_key_context(issuer, key.key_id))
    except crypto.KeyDecryptionError as exc:
        raise ApplicationError(f"The issuer's signing key cannot be used: {exc}") from None
    return key, signing.load_private_key(raw)


# --- status lists -------------------------------------------------------------------------


def _current_list_locked(issuer) -> StatusList:
    """The issuer's newest status list with room, locked; made when there is none."""
    for _ in range(3):
        current = (
            StatusList.objects.select_for_update().filter(issuer=issuer).order_by("-number").first()
        )
        if current is not None and current.next_index < current.size:
            return current
        number = current.number + 1 if current else 1
        try:
            with transaction.atomic():
                return StatusList.objects.create(issuer=issuer, number=number)
        except IntegrityError:  # another request made it first: lock theirs
            continue
    raise ConflictError("Could not allocate a status list entry; try again.")


def status_entry_get_or_create(*, assertion: Assertion) -> StatusEntry:
    """The assertion's status list entry, allocated on first use."""
    entry = StatusEntry.objects.select_related("status_list").filter(assertion=assertion).first()
    if entry is not None:
        return entry
    with transaction.atomic():
        # The lock assertion_revoke takes: the bit below is read under it.
        locked = Assertion.objects.select_for_update().only("pk", "status").get(pk=assertion.pk)
        entry = (
            StatusEntry.objects.select_related("status_list").filter(assertion_id=locked.pk).first()
        )
        if entry is not None:
            return entry
        status_list = _current_list_locked(assertion.organization)
        index = status_list.next_index
        StatusList.objects.filter(pk=status_list.pk).update(next_index=F("next_index") + 1)
        return StatusEntry.objects.create(
            assertion_id=locked.pk,
            status_list=status_list,
            index=index,
            revoked=locked.status == AssertionStatus.REVOKED,
        )


def status_entries_allocate(*, assertions) -> dict[int, StatusEntry]:
    """Entries for many assertions of one issuer at once (exports, benchmarks):
    {assertion pk: entry}."""
    return {a.pk: status_entry_get_or_create(assertion=a) for a in assertions}


def status_entry_revoke(*, assertion: Assertion) -> bool:
    """Set the assertion's revocation bit (on assertions.signals.assertion_revoked, sent
    by assertion_revoke inside its transaction, the assertion row locked). False when it
    has no entry yet: the entry made later reads the revoked status."""
    changed = StatusEntry.objects.filter(assertion_id=assertion.pk, revoked=False).update(
        revoked=True
    )
    if changed:
        issuer_pk, number = StatusEntry.objects.filter(assertion_id=assertion.pk).values_list(
            "status_list__issuer_id", "status_list__number"
        )[0]
        transaction.on_commit(lambda: _status_cache_renew(issuer_pk, number))
    return bool(changed)


# --- signed documents ---------------------------------------------------------------------


# A signed status list is cached under a generation token that a revocation replaces
# once it commits. The token is read before the database, so a list rendered while a
# revocation committed lands under the old token and is never served (as for the
# public pages, assertions.public_cache).


def _status_generation_key(issuer_pk: int, number: int) -> str:
    return f"credentials:status:{issuer_pk}:{number}:generation"


def _status_generation(issuer_pk: int, number: int) -> str:
    key = _status_generation_key(issuer_pk, number)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(8), None)
        token = cache.get(key)
    return token


def _status_cache_renew(issuer_pk: int, number: int) -> None:
    cache.set(_status_generation_key(issuer_pk, number), secrets.token_hex(8), None)


def credential_document(assertion: Assertion) -> dict:
    """The (unsigned) OpenBadgeCredential of an assertion, with its status entry."""
    entry = status_entry_get_or_create(assertion=assertion)
    status = documents.status_entry(assertion.organization, entry.status_list.number, entry.index)
    return documents.credential(assertion, status=status)


def credential_sign(*, assertion: Assertion, keys: dict | None = None) -> str:
    """The assertion's OpenBadgeCredential as a compact VC-JWT signed by its issuer.
    `keys`: a dict to keep decrypted issuer keys in while signing many."""
    if assertion.status == AssertionStatus.REVOKED:
        raise CredentialUnavailableError("This badge was revoked; it has no credential.")
    issuer = assertion.organization
    doc = credential_document(assertion)
    keys = {} if keys is None else keys
    if issuer.pk not in keys:
        key, private = signing_key(issuer)
        keys[issuer.pk] = (private, documents.verification_method_id(issuer, key.key_id))
    private, kid = keys[issuer.pk]
    return signing.sign(doc, private, kid)


def credentials_bundle(*, user) -> dict:
    """Every badge awarded to `user` that is neither revoked nor rejected by them, as
    signed credentials in one unsigned VerifiablePresentation (the backpack's export)."""
    assertions = (
        Assertion.objects.filter(earner__user=user)
        .exclude(status=AssertionStatus.REVOKED)
        .exclude(acceptance=Acceptance.REJECTED)
        .select_related("organization", "badge_template_version__template")
        .order_by("-emitted_at", "-pk")
    )
    keys: dict = {}
    return {
        "@context": [documents.VC_CONTEXT],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [
            documents.enveloped(credential_sign(assertion=a, keys=keys)) for a in assertions
        ],
    }


def status_list_token(*, issuer, number: int) -> str | None:
    """The signed BitstringStatusListCredential (cached until a bit changes, at most
    PUBLIC_CACHE_SECONDS); None when the issuer has no such list."""
    generation = _status_generation(issuer.pk, number)
    cache_key = f"credentials:status:{issuer.pk}:{number}:{generation}"
    token = cache.get(cache_key)
    if token is not None:
        return token
    status_list = StatusList.objects.filter(issuer=issuer, number=number).first()
    if status_list is None:
        return None
    revoked = StatusEntry.objects.filter(status_list=status_list, revoked=True).values_list(
        "index", flat=True
    )
    doc = documents.status_list_credential(
        issuer, number, status_list.size, revoked, valid_from=timezone.now()
    )
    key, private = signing_key(issuer)
    token = signing.sign(doc, private, documents.verification_method_id(issuer, key.key_id))
    cache.set(cache_key, token, settings.PUBLIC_CACHE_SECONDS)
    return token
