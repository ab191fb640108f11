"""The audit trail of a badge (AssertionEvent): append-only, written by the services in
the transaction of the change it records."""

from assertions.models import AssertionEvent, EventKind
from core.inserts import insert_rows


def event(assertion, kind: str, actor=None, **payload) -> dict:
    """An event of a saved `assertion`, as the row `events_save` saves (many changes at
    once). A row, not an object: an award makes two per badge, and making the objects
    had cost more than saving them."""
    if assertion.pk is None:
        raise ValueError("An event is of a saved badge.")
    return {
        "assertion_id": assertion.pk,
        "kind": kind,
        "actor_id": None if actor is None else actor.pk,
        "payload": payload,
    }


def events_save(events: list[dict]) -> None:
    """Save many events (rows made by `event`) in one statement."""
    insert_rows(AssertionEvent, events)


def event_record(assertion, kind: str, actor=None, **payload) -> AssertionEvent:
    """Save one event now."""
    return AssertionEvent.objects.create(
        assertion=assertion, kind=kind, actor=actor, payload=payload
    )


def email_events_record(*, outcomes) -> None:
    """The "emailed" / "email failed" events of the badges whose emails the outbox just
    tried (core.signals.emails_attempted), in one statement."""
    events_save(
        [
            {
                "assertion_id": outcome.email.assertion_id,
                "kind": EventKind.EMAILED if outcome.sent else EventKind.EMAIL_FAILED,
                "payload": {
                    "email_id": outcome.email.pk,
                    "kind": outcome.email.kind,
                    **({"error": outcome.error[:500]} if outcome.error else {}),
                },
            }
            for outcome in outcomes
            if outcome.email.assertion_id is not None
        ]
    )
