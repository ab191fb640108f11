"""VC-JWT (JOSE) signing as Open Badges 3.0 §8.2 says, by joserfc.

OB 3.0 §8.2 ("JSON Web Token Proof Format"): "The signing algorithm MUST be "RS256" as
a minimum" (1EdTech's validator accepts RS256 or ES256), the `typ` header "If present,
MUST be set to "JWT"", and the registered claims `iss` (issuer id), `jti` (credential
id), `nbf` (validFrom), `exp` (validUntil, when it expires) and `sub` (the credential
subject's id). The payload is the credential itself with those claims added; no `iat`.

Issuers sign with RSA (2048 bits or more, RS256: the default) or P-256 (ES256) keys.
Credentials signed before OB 3.0 conformance carry `alg: EdDSA` (Ed25519); those keys stay
published and such tokens still verify.
"""

import json
import warnings
from datetime import datetime

from django.utils.translation import gettext
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import extract_compact
from joserfc.util import to_bytes

RS256, ES256, EDDSA = "RS256", "ES256", "EdDSA"
# What new JWT keys may be (settings.CREDENTIALS_JWT_ALGORITHM picks one).
SIGNING_ALGORITHMS = (RS256, ES256)
# What a token's header may say when verifying: the old Ed25519 tokens too.
VERIFY_ALGORITHMS = {RS256, ES256, EDDSA, "Ed25519"}
RSA_BITS = 2048
MEDIA_TYPE = "application/vc+jwt"
JWT_TYP = "JWT"

try:  # joserfc >= 1.6 warns on every use of the EdDSA name (only verified, never signed)
    from joserfc.errors import SecurityWarning

    warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)
except ImportError:  # pragma: no cover - older joserfc has no such warning
    pass


def generate_key(algorithm: str = RS256):
    """A new private key for `algorithm` (RS256, ES256, or Ed25519 for Data Integrity)."""
    if algorithm == RS256:
        return RSAKey.generate_key(RSA_BITS)
    if algorithm == ES256:
        return ECKey.generate_key("P-256")
    if algorithm in (EDDSA, "Ed25519"):
        return OKPKey.generate_key("Ed25519")
    raise ValueError(f"unknown signing algorithm {algorithm!r}")


def private_key_bytes(key) -> bytes:
    return json.dumps(key.as_dict(private=True), sort_keys=True).encode("utf-8")


def load_private_key(data: bytes):
    return _import(json.loads(data))


def _import(jwk: dict):
    kty = jwk.get("kty")
    if kty == "RSA":
        return RSAKey.import_key(jwk)
    if kty == "EC":
        return ECKey.import_key(jwk)
    if kty == "OKP":
        return OKPKey.import_key(jwk)
    raise ValueError(f"unsupported key type {kty!r}")


# The public members of each key type: anything else in a published JWK is refused.
_PUBLIC_MEMBERS = {
    "RSA": ("n", "e"),
    "EC": ("crv", "x", "y"),
    "OKP": ("crv", "x"),
}


def algorithm_of(jwk: dict) -> str:
    """The one JWS algorithm a public JWK verifies: RSA → RS256, P-256 → ES256,
    Ed25519 → EdDSA. A token whose header names another is refused (no algorithm
    confusion)."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        return RS256
    if kty == "EC" and crv == "P-256":
        return ES256
    if kty == "OKP" and crv == "Ed25519":
        return EDDSA
    raise ValueError(f"unsupported key ({kty} {crv or ''})".strip())


def load_public_key(jwk: dict):
    if not isinstance(jwk, dict) or "d" in jwk:
        raise ValueError("not a public JWK")
    kty = jwk.get("kty")
    algorithm_of(jwk)
    members = {name: jwk[name] for name in _PUBLIC_MEMBERS[kty]}
    key = _import({"kty": kty, **members})
    if kty == "RSA" and key.raw_value.key_size < RSA_BITS:
        raise ValueError(f"an RSA key of {key.raw_value.key_size} bits is too short")
    return key


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


def sign(credential: dict, key, kid: str, algorithm: str) -> str:
    """The compact VC-JWT of `credential`, signed by `key` with `algorithm`."""
    if algorithm not in SIGNING_ALGORITHMS:
        raise ValueError(f"OB 3.0 JWTs are signed with RS256 or ES256, not {algorithm!r}")
    header = {"alg": algorithm, "typ": JWT_TYP, "kid": kid}
    return jwt.encode(header, claims_for(credential), key, algorithms=[algorithm])


class BadToken(Exception):
    pass


def unverified_parts(token: str) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS, without checking the signature."""
    try:
        obj = extract_compact(to_bytes(token.strip()))
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise BadToken(
            gettext("not a compact JWS (%(kind)s)") % {"kind": exc.__class__.__name__}
        ) from None
    if not isinstance(payload, dict):
        raise BadToken(gettext("the JWT payload is not a JSON object"))
    return dict(obj.protected), payload


def verify_signature(token: str, jwk: dict) -> dict:
    """The verified claims; raises BadToken when the signature does not match or the
    header's algorithm is not the key's."""
    try:
        key = load_public_key(jwk)
        expected = algorithm_of(jwk)
    except (ValueError, KeyError, TypeError, JoseError) as exc:
        raise BadToken(
            gettext("the public key is not usable: %(error)s") % {"error": exc}
        ) from None
    allowed = [EDDSA, "Ed25519"] if expected == EDDSA else [expected]
    try:
        header, _ = unverified_parts(token)
        if header.get("alg") not in allowed:
            raise BadToken(
                gettext("the header says %(value)r but the key is for %(expected)s")
                % {"value": header.get("alg"), "expected": expected}
            )
        # Claims (dates, status) are judged by the caller, check by check.
        return dict(jwt.decode(token.strip(), key, algorithms=allowed).claims)
    except JoseError as exc:
        raise BadToken(exc.description or exc.error) from None
    except ValueError as exc:
        raise BadToken(str(exc)) from None
