"""What an award costs: one credit per award email, charged to the issuer.

An award (a single badge, an assignment of any size, an import that sends emails)
reserves all its credits in one ledger entry before anything is written (402, nothing
written, when they are not there), and gives back in one refund what it did not deliver.
The ledger and the balance itself are `issuers.services`'.
"""

from issuers.services import credits_refund, credits_reserve


def award_credits_reserve(*, issuer, amount: int, actor=None, batch=None, note: str = "") -> int:
    """Reserve `amount` credits in one entry (none when 0); the amount reserved."""
    if amount:
        credits_reserve(issuer=issuer, amount=amount, actor=actor, batch=batch, note=note)
    return amount


def award_credits_refund(*, issuer, unused: int, actor=None, batch=None, note: str = "") -> None:
    """Give back in one entry the reserved credits of awards not delivered."""
    if unused > 0:
        credits_refund(issuer=issuer, amount=unused, actor=actor, batch=batch, note=note)
