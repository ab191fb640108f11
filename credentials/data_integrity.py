"""Data Integrity proofs: `DataIntegrityProof` with the `eddsa-rdfc-2022` cryptosuite
(W3C VC Data Integrity EdDSA Cryptosuites v1.0, §3.3), the Linked Data proof format
1EdTech's certification accepts beside the VC-JWT.

Signing (and verifying, the same steps): the credential without `proof` and the proof
options (with the credential's `@context`) are each canonicalised with RDFC-1.0 (PyLD's
URDNA2015) and hashed with SHA-256; the Ed25519 signature of hash(options) ‖
hash(document) is the `proofValue`, multibase base58btc. Every context comes from
`credentials.contexts`: nothing is fetched; a context not shipped there is an error.
"""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils.translation import gettext as _
from pyld import jsonld

from credentials import contexts
from credentials import did as dids

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
MEDIA_TYPE = "application/vc+ld+json"


class BadProof(Exception):
    pass


def _document_loader(url: str, options=None) -> dict:
    try:
        document = contexts.document(url)
    except KeyError:
        raise jsonld.JsonLdError(
            _("The context %(url)s is not one this site ships; it is not fetched.") % {"url": url},
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        ) from None
    return {"contextUrl": None, "documentUrl": url, "document": document}


def canonical(document: dict) -> str:
    """RDFC-1.0 N-Quads of a JSON-LD document, contexts loaded offline. A term no
    context defines is an error, not silently dropped (`safe` mode)."""
    try:
        return jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": _document_loader,
                "safe": True,
            },
        )
    except jsonld.JsonLdError as exc:
        raise BadProof(
            _("the document is not valid JSON-LD here (%(error)s)") % {"error": _reason(exc)}
        ) from None


def _reason(exc) -> str:
    while getattr(exc, "cause", None) is not None:
        exc = exc.cause
    return str(getattr(exc, "message", exc)).splitlines()[0]


def _hash_data(unsecured: dict, options: dict) -> bytes:
    return (
        hashlib.sha256(canonical(options).encode("utf-8")).digest()
        + hashlib.sha256(canonical(unsecured).encode("utf-8")).digest()
    )


def sign(credential: dict, private_key, verification_method: str, created: str) -> dict:
    """`credential` with a DataIntegrityProof by `private_key` (joserfc OKPKey, Ed25519),
    replacing any proof it had."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {
        "@context": unsecured["@context"],
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.private_key.sign(_hash_data(unsecured, options))
    proof = {k: v for k, v in options.items() if k != "@context"}
    proof["proofValue"] = "z" + dids.b58encode(signature)
    # A list: 1EdTech's AchievementCredential schema wants `proof` to be an array.
    return {**unsecured, "proof": [proof]}


def proof_of(secured: dict) -> dict:
    """The document's one eddsa-rdfc-2022 proof; BadProof for anything else."""
    proof = secured.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise BadProof(_("it carries several proofs; this verifier checks one"))
        proof = proof[0]
    if not isinstance(proof, dict):
        raise BadProof(_("its proof is not an object"))
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise BadProof(
            _(
                "its proof is %(type)r/%(suite)r; this verifier checks "
                "%(proof_type)s/%(cryptosuite)s"
            )
            % {
                "type": proof.get("type"),
                "suite": proof.get("cryptosuite"),
                "proof_type": PROOF_TYPE,
                "cryptosuite": CRYPTOSUITE,
            }
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise BadProof(_("its proof's purpose is not assertionMethod"))
    for name in ("verificationMethod", "proofValue", "created"):
        if not isinstance(proof.get(name), str):
            raise BadProof(_("its proof has no %(name)s") % {"name": name})
    return proof


def verify(secured: dict, public_key: bytes) -> None:
    """Raises BadProof unless the proof of `secured` is the Ed25519 signature by
    `public_key` (32 raw bytes) of the document as it is."""
    proof = proof_of(secured)
    value = proof["proofValue"]
    if not value.startswith("z"):
        raise BadProof(_("its proofValue is not multibase base58btc"))
    try:
        signature = dids.b58decode(value[1:])
    except ValueError:
        raise BadProof(_("its proofValue is not base58")) from None
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = unsecured.get("@context")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, _hash_data(unsecured, options)
        )
    except (InvalidSignature, ValueError):
        raise BadProof(_("the signature does not match the document")) from None
