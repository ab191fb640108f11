from core.exceptions import ApplicationError


class InsufficientCreditsError(ApplicationError):
    status_code = 402
    default_code = "insufficient_credits"


class IssuerCreationRefusedError(ApplicationError):
    """Not an operator under ISSUER_CREATION closed (or approval, for a direct create).

    Not a PermissionDeniedError: /v2 answers those as Badgr's 404 for objects one may not
    see, while this must reach Badgr clients as the 403 (with its reason) that Badgr
    itself answers when issuer creation is restricted (BADGR_APPROVED_ISSUERS_ONLY)."""

    status_code = 403
    default_code = "issuer_creation_refused"
