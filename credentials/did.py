"""Decentralised identifiers: our issuers' `did:web`, and the self-contained `did:key`
and `did:jwk` methods a verifier can resolve without the network.

An issuer's DID is path-based under the site's origin (`SITE_URL`):
`did:web:<host>:issuers:<entity_id>` resolves, by the did:web rules, to
`https://<host>/issuers/<entity_id>/did.json`. A port is part of the host and is
written `%3A` (`did:web:localhost%3A8000:...`); a site under a path prefix adds its
segments (`did:web:example.org:badges:issuers:<id>`).
"""

import base64
import json
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

from core.ids import is_entity_id


def _site_parts() -> tuple[str, list[str]]:
    site = urlsplit(settings.SITE_URL)
    segments = [quote(s, safe="") for s in site.path.split("/") if s]
    return quote(site.netloc, safe=""), segments


def issuers_prefix() -> str:
    """Every issuer of this site has a DID that starts with this."""
    host, segments = _site_parts()
    return ":".join(["did:web", host, *segments, "issuers", ""])


def issuer_did(issuer) -> str:
    return issuers_prefix() + issuer.entity_id


def issuer_base_url(issuer) -> str:
    return f"{settings.SITE_URL}/issuers/{issuer.entity_id}"


def did_document_url(issuer) -> str:
    return f"{issuer_base_url(issuer)}/did.json"


def local_issuer_entity_id(did: str) -> str | None:
    """The entity id of our issuer named by `did`, or None when it is not one of ours."""
    prefix = issuers_prefix()
    if not did.startswith(prefix):
        return None
    rest = did[len(prefix) :]
    return rest if is_entity_id(rest) else None


def did_web_url(did: str) -> str | None:
    """Where a did:web document lives (https, by the method's rules), or None."""
    if not did.startswith("did:web:"):
        return None
    parts = did[len("did:web:") :].split(":")
    if not parts[0]:
        return None
    host = unquote(parts[0])
    path = "/".join(unquote(p) for p in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


# --- self-contained DIDs ------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_MULTICODEC = b"\xed\x01"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _B58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + out


def b58decode(value: str) -> bytes:
    number = 0
    for char in value:
        digit = _B58.find(char)
        if digit < 0:
            raise ValueError("not base58")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(value) - len(value.lstrip("1"))) + body


def multikey(jwk: dict) -> str:
    """The `publicKeyMultibase` of an Ed25519 public JWK (Multikey: base58btc of the
    multicodec 0xed01 and the 32 bytes; as in did:key)."""
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return "z" + b58encode(_ED25519_MULTICODEC + raw)


def ed25519_public_bytes(method: dict) -> bytes:
    """The 32 bytes of the Ed25519 key of a verification method (Multikey
    `publicKeyMultibase`, or an OKP `publicKeyJwk`); ValueError for any other."""
    multibase = method.get("publicKeyMultibase")
    if isinstance(multibase, str):
        if not multibase.startswith("z"):
            raise ValueError("publicKeyMultibase is not base58btc")
        raw = b58decode(multibase[1:])
        if not raw.startswith(_ED25519_MULTICODEC) or len(raw) != 34:
            raise ValueError("the Multikey is not an Ed25519 key")
        return raw[2:]
    jwk = method.get("publicKeyJwk")
    if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        if len(raw) == 32:
            return raw
    raise ValueError("the key is not an Ed25519 key")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def self_contained_document(did: str) -> dict | None:
    """The DID document of a did:key (Ed25519) or did:jwk, built from the DID itself;
    None for other methods. Raises ValueError for a malformed DID of these methods."""
    if did.startswith("did:key:"):
        multibase = did[len("did:key:") :]
        if not multibase.startswith("z"):
            raise ValueError("a did:key must be base58btc (z...)")
        raw = b58decode(multibase[1:])
        if not raw.startswith(_ED25519_MULTICODEC) or len(raw) != 34:
            raise ValueError("only Ed25519 did:key identifiers are supported")
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw[2:])}
        return _single_key_document(did, f"{did}#{multibase}", jwk)
    if did.startswith("did:jwk:"):
        encoded = did[len("did:jwk:") :]
        jwk = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        if not isinstance(jwk, dict) or "d" in jwk:
            raise ValueError("a did:jwk must hold a public JWK")
        return _single_key_document(did, f"{did}#0", jwk)
    return None


def _single_key_document(did: str, method_id: str, jwk: dict) -> dict:
    return {
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}
        ],
        "assertionMethod": [method_id],
    }
