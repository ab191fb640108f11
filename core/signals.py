"""What core tells the apps above it. Core imports no app: an app that wants to hear
about its own rows connects a receiver in its AppConfig.ready."""

from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class EmailOutcome:
    email: object  # the OutboundEmail row
    sent: bool
    error: str = ""


# The outbox tried to send some rows (one send per task, after each row was marked sent
# or failed): `outcomes`, a list of EmailOutcome. The app a row belongs to records it;
# assertions writes the badge's "emailed" / "email failed" events.
emails_attempted = Signal()
