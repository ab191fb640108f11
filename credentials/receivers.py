"""What credentials does when the apps below it announce something (connected in
CredentialsConfig.ready)."""

from credentials.services import issuer_key_create, status_entry_revoke


def issuer_key_for_new_issuer(sender, issuer, **kwargs) -> None:
    """issuers.signals.issuer_created: the issuer's signing key, published in its did:web
    document."""
    issuer_key_create(issuer=issuer)


def status_bit_for_revoked_badge(sender, assertion, **kwargs) -> None:
    """assertions.signals.assertion_revoked: the badge's bit in its issuer's Bitstring
    Status List, in the revoking transaction, under its lock."""
    status_entry_revoke(assertion=assertion)
