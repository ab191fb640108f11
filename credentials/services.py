"""Every write of the credentials app: issuer keys, status list entries, revocation bits;
and the signed documents built from them.

Keys: an issuer gets a VC-JWT key (RS256 by default, ES256 by CREDENTIALS_JWT_ALGORITHM)
when it is created (`issuer_key_create`, on issuers.signals.issuer_created); issuers
older than this feature get one on first use, and so do those whose key is an Ed25519
one from before OB 3.0 conformance. Data Integrity proofs have their own Ed25519 key,
made on first use. Rotation retires the active key (still published) and makes a new one.

Status: an assertion gets a random free index in the issuer's current status list the
first time its credential is signed (assertions that never leave as credentials take no
index); the position says nothing about when it was issued or how many were.
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
from django.utils.translation import gettext as _

from assertions import public_cache
from assertions.models import Acceptance, Assertion, AssertionStatus
from core.exceptions import ApplicationError, ConflictError
from core.iterables import chunks
from core.timefmt import format_iso_z
from credentials import crypto, data_integrity, documents, signing
from credentials.models import IssuerKey, KeyAlgorithm, KeyPurpose, StatusEntry, StatusList
from issuers.permissions import MANAGE_ISSUER, require_role


class CredentialUnavailableError(ConflictError):
    default_code = "credential_unavailable"


# --- keys ---------------------------------------------------------------------------------


def _key_context(issuer, key_id: str) -> str:
    return f"{issuer.entity_id}#{key_id}"


def default_algorithm(purpose: str) -> str:
    if purpose == KeyPurpose.DATA_INTEGRITY:
        return KeyAlgorithm.EDDSA
    return settings.CREDENTIALS_JWT_ALGORITHM


def _check_algorithm(purpose: str, algorithm: str) -> None:
    allowed = (
        [KeyAlgorithm.EDDSA]
        if purpose == KeyPurpose.DATA_INTEGRITY
        else list(signing.SIGNING_ALGORITHMS)
    )
    if algorithm not in allowed:
        raise ApplicationError(
            _("A %(purpose)s key is made with %(allowed)s, not %(algorithm)s.")
            % {
                "purpose": KeyPurpose(purpose).label,
                "allowed": _(" or ").join(allowed),
                "algorithm": algorithm,
            },
            code="invalid_algorithm",
            field_errors={"algorithm": [_("Choose one of: %s.") % ", ".join(allowed)]},
        )


def _new_key(issuer, *, purpose: str, algorithm: str) -> IssuerKey:
    private = signing.generate_key(algorithm)
    number = IssuerKey.objects.filter(issuer=issuer).count() + 1
    key_id = f"key-{number}"
    return IssuerKey.objects.create(
        issuer=issuer,
        key_id=key_id,
        purpose=purpose,
        algorithm=algorithm,
        public_jwk=private.as_dict(private=False),
        private_key_encrypted=crypto.encrypt(
            signing.private_key_bytes(private), context=_key_context(issuer, key_id)
        ),
    )


def key_signs(key: IssuerKey) -> bool:
    """Whether an active key may still sign: an Ed25519 VC-JWT key made before OB 3.0
    conformance may not (§8.2 wants RS256 or ES256)."""
    return key.purpose != KeyPurpose.JWT or key.algorithm in signing.SIGNING_ALGORITHMS


def issuer_key_create(*, issuer, purpose: str = KeyPurpose.JWT) -> IssuerKey:
    """The issuer's active key for `purpose`, made if it has none (race-free: one active
    key per issuer and purpose is a unique constraint; the loser of a race reads the
    winner's). An active Ed25519 VC-JWT key from before OB 3.0 conformance is retired
    here (still published: what it signed still verifies) for a key of
    CREDENTIALS_JWT_ALGORITHM."""
    existing = IssuerKey.objects.filter(issuer=issuer, purpose=purpose, active=True).first()
    if existing is not None and key_signs(existing):
        return existing
    try:
        with transaction.atomic():
            if existing is not None:
                now = timezone.now()
                IssuerKey.objects.filter(pk=existing.pk, active=True).update(
                    active=False, retired_at=now, updated_at=now
                )
            return _new_key(issuer, purpose=purpose, algorithm=default_algorithm(purpose))
    except IntegrityError:
        return IssuerKey.objects.get(issuer=issuer, purpose=purpose, active=True)


@transaction.atomic
def issuer_key_rotate(
    *, issuer, actor=None, purpose: str = KeyPurpose.JWT, algorithm: str | None = None
) -> IssuerKey:
    """Retire the active key of `purpose` (it stays in the DID document and JWKS, so what
    it signed still verifies) and make a new one that signs from now on, with
    `algorithm` (default: CREDENTIALS_JWT_ALGORITHM for VC-JWTs, Ed25519 for Data
    Integrity)."""
    require_role(actor, issuer, MANAGE_ISSUER)
    algorithm = algorithm or default_algorithm(purpose)
    _check_algorithm(purpose, algorithm)
    # The issuer's keys are locked so that two rotations cannot both retire one key.
    list(IssuerKey.objects.select_for_update().filter(issuer=issuer))
    IssuerKey.objects.filter(issuer=issuer, purpose=purpose, active=True).update(
        active=False, retired_at=timezone.now(), updated_at=timezone.now()
    )
    # Cached status lists signed by the old key stay valid (it is still published);
    # they are re-signed with the new one as they expire.
    return _new_key(issuer, purpose=purpose, algorithm=algorithm)


@transaction.atomic
def issuer_key_withdraw(*, key: IssuerKey, actor=None) -> IssuerKey:
    """Stop publishing a compromised key: whatever was signed with it (by the issuer or
    by whoever holds the key) no longer verifies. When it is the active key of its
    purpose, a new one takes over (same algorithm; an Ed25519 VC-JWT key is followed by
    one of CREDENTIALS_JWT_ALGORITHM). The issuer's cached credentials and status lists
    are dropped once this commits, so the next download of each is signed by the active
    key. Returns the issuer's active key of that purpose."""
    issuer = key.issuer
    require_role(actor, issuer, MANAGE_ISSUER)
    keys = {k.pk: k for k in IssuerKey.objects.select_for_update().filter(issuer=issuer)}
    key = keys[key.pk]
    if key.withdrawn_at is not None:
        raise ConflictError(
            _("%(key)s was withdrawn already.") % {"key": key.key_id}, code="key_withdrawn"
        )
    now = timezone.now()
    if key.active:
        key.active, key.retired_at = False, now
    key.withdrawn_at = now
    key.save(update_fields=["active", "retired_at", "withdrawn_at", "updated_at"])
    # `key` is not active now
    active = next((k for k in keys.values() if k.active and k.purpose == key.purpose), None)
    if active is None:
        algorithm = key.algorithm if key_signs(key) else default_algorithm(key.purpose)
        active = _new_key(issuer, purpose=key.purpose, algorithm=algorithm)
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
    """Every key the issuer signed with that is still published, the active ones last."""
    return list(
        IssuerKey.objects.filter(issuer=issuer, withdrawn_at__isnull=True).order_by(
            "created_at", "id"
        )
    )


def signing_key(issuer, purpose: str = KeyPurpose.JWT):
    """(IssuerKey, joserfc private key) of the issuer's active key for `purpose`."""
    key = issuer_key_create(issuer=issuer, purpose=purpose)
    try:
        raw = crypto.decrypt(key.private_key_encrypted, context=_key_context(issuer, key.key_id))
    except crypto.KeyDecryptionError as exc:
        raise ApplicationError(
            _("The issuer's signing key cannot be used: %(reason)s") % {"reason": exc}
        ) from None
    return key, signing.load_private_key(raw)


# --- status lists -------------------------------------------------------------------------


def _current_list_locked(issuer) -> StatusList:
    """The issuer's newest status list with room, locked; made when there is none."""
    for _attempt in range(3):
        current = (
            StatusList.objects.select_for_update().filter(issuer=issuer).order_by("-number").first()
        )
        if current is not None and current.allocated < current.size:
            return current
        number = current.number + 1 if current else 1
        try:
            with transaction.atomic():
                return StatusList.objects.create(issuer=issuer, number=number)
        except IntegrityError:  # another request made it first: lock theirs
            continue
    raise ConflictError(_("Could not allocate a status list entry; try again."))


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
        entry = _entry_at_random_index(status_list, locked)
        StatusList.objects.filter(pk=status_list.pk).update(allocated=F("allocated") + 1)
        return entry


# Random probes before the free indexes of a list are listed (a list nearly full).
RANDOM_PROBES = 8


def _free_index(status_list: StatusList) -> int:
    """A uniformly random index of the list that no entry has."""
    entries = StatusEntry.objects.filter(status_list=status_list)
    for _attempt in range(RANDOM_PROBES):
        index = secrets.randbelow(status_list.size)
        if not entries.filter(index=index).exists():
            return index
    taken = set(entries.values_list("index", flat=True))
    free = [i for i in range(status_list.size) if i not in taken]
    if not free:
        raise ConflictError(_("The status list is full; try again."))
    return secrets.choice(free)


def _entry_at_random_index(status_list: StatusList, assertion: Assertion) -> StatusEntry:
    """The assertion's entry at a random free index of the (locked) list. The unique
    (list, index) constraint is the last word: an index taken meanwhile, by a writer not
    holding the list's lock, is tried again elsewhere."""
    for _attempt in range(3):
        index = _free_index(status_list)
        try:
            with transaction.atomic():
                return StatusEntry.objects.create(
                    assertion_id=assertion.pk,
                    status_list=status_list,
                    index=index,
                    revoked=assertion.status == AssertionStatus.REVOKED,
                )
        except IntegrityError:
            continue
    raise ConflictError(_("Could not allocate a status list entry; try again."))


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
        raise CredentialUnavailableError(_("This badge was revoked; it has no credential."))
    issuer = assertion.organization
    doc = credential_document(assertion)
    keys = {} if keys is None else keys
    if issuer.pk not in keys:
        key, private = signing_key(issuer)
        kid = documents.verification_method_id(issuer, key.key_id)
        keys[issuer.pk] = (private, kid, key.algorithm)
    private, kid, algorithm = keys[issuer.pk]
    return signing.sign(doc, private, kid, algorithm)


def credential_data_integrity(*, assertion: Assertion, keys: dict | None = None) -> dict:
    """The assertion's OpenBadgeCredential as JSON with a Data Integrity proof
    (eddsa-rdfc-2022) by the issuer's Ed25519 Data Integrity key. `keys`: a dict to keep
    decrypted issuer keys in while signing many."""
    if assertion.status == AssertionStatus.REVOKED:
        raise CredentialUnavailableError(_("This badge was revoked; it has no credential."))
    issuer = assertion.organization
    doc = credential_document(assertion)
    keys = {} if keys is None else keys
    cache_key = (issuer.pk, KeyPurpose.DATA_INTEGRITY)
    if cache_key not in keys:
        key, private = signing_key(issuer, KeyPurpose.DATA_INTEGRITY)
        keys[cache_key] = (private, documents.verification_method_id(issuer, key.key_id))
    private, method = keys[cache_key]
    return data_integrity.sign(doc, private, method, format_iso_z(timezone.now()))


def credentials_bundle(*, user) -> dict:
    """Every badge awarded to `user` that is neither revoked nor rejected by them, as
    signed credentials in one unsigned VerifiablePresentation (the backpack's export)."""
    assertions = (
        Assertion.objects.filter(earner__user=user)
        .exclude(status=AssertionStatus.REVOKED)
        .exclude(acceptance=Acceptance.REJECTED)
        .select_related("organization", "earner", "badge_template_version__template")
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
    kid = documents.verification_method_id(issuer, key.key_id)
    token = signing.sign(doc, private, kid, key.algorithm)
    cache.set(cache_key, token, settings.PUBLIC_CACHE_SECONDS)
    return token
