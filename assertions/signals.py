"""What the assertions domain tells the apps above it, which it never imports: they
connect receivers in their AppConfig.ready."""

from django.dispatch import Signal

# A badge was revoked: `assertion`, saved as revoked and its row still locked. Sent
# inside the revoking transaction, so what a receiver writes commits or rolls back with
# the revocation, and an exception it raises undoes the revocation. credentials sets
# the badge's bit in its issuer's Bitstring Status List here.
assertion_revoked = Signal()
