"""VC-JWT (JOSE) signing with Ed25519, by joserfc.

The JWT payload is the credential itself with the registered claims OB 3.0 maps onto
it (`iss` = issuer id, `jti` = credential id, `nbf` = validFrom, `exp` = validUntil,
`sub` = credentialSubject.id when there is one); no `iat`, so the same credential
signed twice with the same key gives the same token (Ed25519 is deterministic).

The header says `alg: EdDSA`, the name every JOSE library and VC verifier knows.
RFC 9864 (2025) deprecates it in favour of `Ed25519`; joserfc warns about the old name,
and both are accepted when verifying. docs/open-badges-3.md says why.
"""

import json
import warnings
from datetime import datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import extract_compact
from joserfc.util import to_bytes

from credentials.documents import JWS_ALG

ALGORITHMS = ["EdDSA", "Ed25519"]
MEDIA_TYPE = "application/vc+jwt"

try:  # joserfc >= 1.6 warns on every use of the EdDSA name
    from joserfc.errors import SecurityWarning

    warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)
except ImportError:  # pragma: no cover - older joserfc has no such warning
    pass


def generate_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519")


def private_key_bytes(key: OKPKey) -> bytes:
    return json.dumps(key.as_dict(private=True), sort_keys=True).encode("utf-8")


def load_private_key(data: bytes) -> OKPKey:
    return OKPKey.import_key(json.loads(data))


def load_public_key(jwk: dict) -> OKPKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" in jwk:
        raise ValueError("not a public Ed25519 JWK")
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def claims_for(credential: dict) -> dict:
    claims = dict(credential)
    issuer = credential["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    claims["jti"] = credential["id"]
    claims["nbf"] = _epoch(credential["validFrom"])
    if credential.get("validUntil"):
        claims["exp"] = _epoch(credential["validUntil"])
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    return claims


def sign(credential: dict, key: OKPKey, kid: str) -> str:
    """The compact VC-JWT of `credential`."""
    header = {"alg": JWS_ALG, "typ": "vc+jwt", "kid": kid}
    return jwt.encode(header, claims_for(credential), key, algorithms=ALGORITHMS)


class BadToken(Exception):
    pass


def unverified_parts(token: str) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS, without checking the signature."""
    try:
        obj = extract_compact(to_bytes(token.strip()))
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise BadToken(f"not a compact JWS ({exc.__class__.__name__})") from None
    if not isinstance(payload, dict):
        raise BadToken("the JWT payload is not a JSON object")
    return dict(obj.protected), payload


def verify_signature(token: str, jwk: dict) -> dict:
    """The verified claims; raises BadToken when the signature does not match."""
    try:
        key = load_public_key(jwk)
    except (ValueError, KeyError, JoseError) as exc:
        raise BadToken(f"the public key is not usable: {exc}") from None
    try:
        # Claims (dates, status) are judged by the caller, check by check.
        return dict(jwt.decode(token.strip(), key, algorithms=ALGORITHMS).claims)
    except JoseError as exc:
        raise BadToken(exc.description or exc.error) from None
    except ValueError as exc:
        raise BadToken(str(exc)) from None
