"""How far an import got: told by the importers, shown by a web run's row
(`RunProgress`) or a terminal bar (`TerminalProgress`, small enough not to need a
library)."""

import sys
import time

from imports.models import ImportRun
from imports.report import Report


class Progress:
    """Told how far an import got; the command draws a bar, a web run saves its row."""

    def stage(self, text: str) -> None:
        pass

    def add_total(self, n: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, report: Report) -> None:
        """Called inside each chunk's transaction with the report so far."""


class RunProgress(Progress):
    """Keeps an ImportRun's row up to date, in the transaction of the chunk it counts."""

    def __init__(self, run: ImportRun):
        self.run = run

    def _save(self, *fields):
        self.run.save(update_fields=[*fields, "updated_at"])

    def stage(self, text: str) -> None:
        self.run.stage = text[:255]
        self._save("stage")

    def add_total(self, n: int) -> None:
        self.run.total += n
        self._save("total")

    def advance(self, n: int = 1) -> None:
        self.run.processed += n
        self._save("processed")

    def note(self, report: Report) -> None:
        self.run.counts = report.counts_dict()
        self.run.errors = report.errors_list()
        self.run.warnings = report.warnings_list()
        self._save("counts", "errors", "warnings")


class TerminalProgress(Progress):
    """`[#####.....]  3/5 badge classes · 612 badges · Issuer A: Python` on a terminal,
    redrawn in place; a plain line per stage when the output is not a terminal."""

    WIDTH = 30

    def __init__(self, stream=None, *, unit: str = "badge classes"):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.unit = unit
        self.total = 0
        self.done = 0
        self.badges = 0
        self.text = ""
        self.started = time.monotonic()
        self._last = 0.0

    def stage(self, text: str) -> None:
        self.text = text
        if not self.tty:
            self.stream.write(f"{self.done}/{self.total} {self.unit}: {text}\n")
            self.stream.flush()
        self._draw(force=True)

    def add_total(self, n: int) -> None:
        self.total += n

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw(force=True)

    def note(self, report) -> None:
        counts = report.counts.get("assertion") or {}
        self.badges = sum(counts.values())
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        filled = self.WIDTH * self.done // self.total if self.total else 0
        bar = "#" * filled + "." * (self.WIDTH - filled)
        elapsed = now - self.started
        rate = f" ({self.badges / elapsed:.0f}/s)" if elapsed > 1 and self.badges else ""
        line = (
            f"\r[{bar}] {self.done}/{self.total} {self.unit} · {self.badges} badges{rate}"
            f" · {self.text}"
        )
        self.stream.write(line[:160].ljust(160) if len(line) < 160 else line[:160])
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
