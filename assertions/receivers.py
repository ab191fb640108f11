"""What assertions does when the apps below it announce something (connected in
AssertionsConfig.ready)."""

from assertions.services.events import email_events_record


def email_outcomes(sender, outcomes, **kwargs) -> None:
    """core.signals.emails_attempted: the badge's "emailed" / "email failed" events."""
    email_events_record(outcomes=outcomes)
