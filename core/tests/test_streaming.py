"""core.streaming.alive: the worker's heartbeat after a block, at most once a second."""

from core import streaming


def test_blocks_pass_and_the_heartbeat_beats_once_a_second(monkeypatch):
    beats, clock = [], iter([0.0, 0.4, 1.1, 1.5, 2.2, 2.3])
    monkeypatch.setattr(streaming.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(streaming, "_heartbeat", lambda: beats.append(1))
    assert list(streaming.alive([b"a", b"b", b"c", b"d", b"e"])) == [b"a", b"b", b"c", b"d", b"e"]
    assert len(beats) == 2  # at 1.1 s and at 2.2 s


def test_without_a_heartbeat_blocks_only_pass(monkeypatch):
    monkeypatch.setattr(streaming, "_heartbeat", None)
    assert list(streaming.alive(iter([b"x"]))) == [b"x"]
