"""A terminal progress bar, small enough not to need a library."""

import sys
import time

from imports.services import Progress


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
