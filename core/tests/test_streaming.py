"""core.streaming.alive: the worker's heartbeat when the blocks start, after a block at
most once a second, and when they end."""

from core import streaming


def test_blocks_pass_and_the_heartbeat_beats_once_a_second(monkeypatch):
    now, beats = [0.0], []
    monkeypatch.setattr(streaming.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(streaming, "_heartbeat", lambda: beats.append(now[0]))

    def blocks():  # each block ready at these seconds
        for at in (0.4, 1.1, 1.5, 2.2, 2.3):
            now[0] = at
            yield b"%.1f" % at
        now[0] = 2.5  # the last block written

    assert list(streaming.alive(blocks())) == [b"0.4", b"1.1", b"1.5", b"2.2", b"2.3"]
    # as the blocks start, after the blocks a second after the last beat, as they end
    # (gunicorn then waits for the client in silence)
    assert beats == [0.0, 1.1, 2.2, 2.5]


def test_without_a_heartbeat_blocks_only_pass(monkeypatch):
    monkeypatch.setattr(streaming, "_heartbeat", None)
    assert list(streaming.alive(iter([b"x"]))) == [b"x"]
