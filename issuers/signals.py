"""What the issuers app tells the apps above it, which it never imports: they connect
receivers in their AppConfig.ready."""

from django.dispatch import Signal

# An issuer was created: `issuer`. Sent inside issuer_create's transaction, so what a
# receiver makes for the issuer exists exactly when the issuer does. credentials makes
# its Open Badges 3.0 signing key here.
issuer_created = Signal()
