import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None  # None: reported, no target

    def as_dict(self) -> dict:
        return asdict(self)


def median_seconds(
    fn: Callable[[], object], *, repeat: int, setup: Callable[[], object] = lambda: None
) -> float:
    """Median wall time of `fn` over `repeat` runs, each after its own untimed `setup`."""
    times = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_table(figures: list[Figure]) -> str:
    rows = [("benchmark", "median", "target", "result")]
    for f in figures:
        verdict = "" if f.passed is None else ("PASS" if f.passed else "MISS")
        rows.append((f.name, f"{f.value:.4g} {f.unit}", f.target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(figures: list[Figure]) -> str:
    """The figures as the README's table (`python -m bench --markdown results.json`)."""
    lines = ["| benchmark | median | target | result |", "|---|---|---|---|"]
    for f in figures:
        verdict = "" if f.passed is None else ("PASS" if f.passed else "MISS")
        value = f"{f.value:,.4g}" if abs(f.value) < 1e4 else f"{f.value:,.0f}"
        lines.append(f"| {f.name} | {value} {f.unit} | {f.target} | {verdict} |")
    return "\n".join(lines)
