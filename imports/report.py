"""What an import did: counts per kind of object and outcome, and the problems item by
item. Every importer fills one; a run keeps it (ImportRun.counts / .errors)."""

from collections import defaultdict
from dataclasses import dataclass, field

MAX_STORED_ERRORS = 1000
OUTCOMES = ("created", "updated", "unchanged", "failed")
# An old issuer whose things go into an issuer that exists here (`--into`, the web page),
# the first time (later runs count it "unchanged"); counted only where it happens.
LINKED = "linked"


@dataclass(frozen=True)
class ItemError:
    kind: str  # issuer | badgeclass | assertion | file | row
    legacy_id: str
    message: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.legacy_id, "message": self.message}


@dataclass
class Report:
    """Counts per kind of object and outcome, and the problems item by item."""

    counts: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    errors: list[ItemError] = field(default_factory=list)
    # Imported, but not quite as the source had it (or kept as it is though odd): said
    # item by item, never counted as failed.
    warnings: list[ItemError] = field(default_factory=list)
    dry_run: bool = False

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        if n:
            self.counts[kind][outcome] = self.counts[kind].get(outcome, 0) + n

    def fail(self, kind: str, legacy_id, message: str, *, count: bool = True) -> None:
        """A problem with an item; `count=False` when the item was counted already (a
        badge class made, whose badges could then not be read)."""
        if count:
            self.add(kind, "failed")
        self.errors.append(ItemError(kind, str(legacy_id or ""), message))

    def warn(self, kind: str, legacy_id, message: str) -> None:
        self.warnings.append(ItemError(kind, str(legacy_id or ""), message))

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def changed(self) -> bool:
        return bool(self.total("created") or self.total("updated"))

    def counts_dict(self) -> dict:
        return {kind: dict(c) for kind, c in self.counts.items()}

    def errors_list(self) -> list[dict]:
        return [e.as_dict() for e in self.errors[:MAX_STORED_ERRORS]]

    def warnings_list(self) -> list[dict]:
        return [e.as_dict() for e in self.warnings[:MAX_STORED_ERRORS]]
