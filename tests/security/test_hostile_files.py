"""The upload gate against a corpus of hostile files (tests/security/hostile.py).

Every file is refused with a message naming the problem, or kept neutralised: a plain
image of an accepted type with none of the payload, within a bound of CPU time each.
The figures (CPU and wall time of the slowest file and of all, peak Python memory, the
process's peak memory) are printed by the last test (`pytest -s`) and recorded in
docs/security.md.
"""

import resource
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import SVG, ImageRefused, image_accept, sniff
from tests.security.hostile import EVIL, corpus

CORPUS = corpus()
SECONDS_EACH = 2.0
# What no neutralised file may still carry.
PAYLOAD_MARKS = (
    b"<script",
    b"<html",
    b"<iframe",
    b"<body",
    b"javascript:",
    b"onload",
    b"onclick",
    b"foreignObject",
    b"@import",
    b"image-set",
    b"PK\x03\x04",
    b"fetch(",
    EVIL.encode(),
)

figures = {}
RSS_BEFORE_MIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # corpus made


def _through_the_gate(case: str, name: str, data: bytes):
    def once():
        try:
            return image_accept(SimpleUploadedFile(name, data, content_type="image/png"))
        except ImageRefused as refusal:
            return refusal

    # The bound is on the CPU time this process spends: the wall clock of a machine shared
    # with other work says more about the other work.
    started, cpu_started = time.perf_counter(), time.process_time()
    result = once()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert cpu < SECONDS_EACH, f"{case}: {cpu:.2f} s of CPU"
    # Again under tracemalloc, which slows Python down too much to time the first run.
    tracemalloc.start()
    once()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures[case] = (cpu, elapsed, peak)
    return result


@pytest.mark.parametrize("case", CORPUS, ids=list(CORPUS))
def test_every_hostile_file_is_refused_or_neutralised_in_bounded_time(case):
    name, data, outcome = CORPUS[case]
    # when the file passes the gate
    result = _through_the_gate(case, name, data)
    # then it is refused with a message naming the problem, on the image field...
    if outcome == "refused":
        assert isinstance(result, ImageRefused), f"{case} was accepted"
        assert len(result.message) > 20
        assert result.field_errors == {"image": [result.message]}
        return
    # ...or kept as a plain image of an accepted type, with nothing of its payload
    assert not isinstance(result, ImageRefused), result.message
    assert sniff(result.data) is result.type
    assert result.as_file().name.endswith(result.type.ext)
    for mark in PAYLOAD_MARKS:
        assert mark not in result.data, (case, mark)
    if result.type is SVG:
        assert b'id="kept"' in result.data  # the drawing survives
        assert b"\\" not in result.data  # no CSS escape left for a browser to decode


def test_the_corpus_figures(capsys):
    # The figures of the run above (nothing measured if it was deselected).
    rss_growth_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - RSS_BEFORE_MIB
    if figures:
        slowest = max(figures.items(), key=lambda item: item[1][0])
        with capsys.disabled():
            print(
                f"\nhostile corpus: {len(figures)} files, slowest {slowest[1][0]:.3f} s of CPU "
                f"({slowest[1][1]:.3f} s wall; {slowest[0]}), "
                f"total {sum(c for c, _w, _m in figures.values()):.2f} s of CPU "
                f"({sum(w for _c, w, _m in figures.values()):.2f} s wall), "
                f"peak Python allocation {max(m for _c, _w, m in figures.values()) / 2**20:.1f} "
                f"MiB, process peak RSS +{rss_growth_mib:.0f} MiB over the corpus's own"
            )
    assert all(cpu < SECONDS_EACH for cpu, _wall, _peak in figures.values())
