"""The audit trail of a badge (AssertionEvent): append-only, written by the services in
the transaction of the change it records."""

from assertions.models import AssertionEvent
from core.inserts import insert_many


def event(assertion, kind: str, actor=None, **payload) -> AssertionEvent:
    """An event to save with `events_save` (many changes at once)."""
    return AssertionEvent(assertion=assertion, kind=kind, actor=actor, payload=payload)


def events_save(events: list[AssertionEvent]) -> None:
    """Save many events in one statement."""
    insert_many(events)


def event_record(assertion, kind: str, actor=None, **payload) -> AssertionEvent:
    """Save one event now."""
    return AssertionEvent.objects.create(
        assertion=assertion, kind=kind, actor=actor, payload=payload
    )
