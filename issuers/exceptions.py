from core.exceptions import ApplicationError


class InsufficientCreditsError(ApplicationError):
    status_code = 402
    default_code = "insufficient_credits"
