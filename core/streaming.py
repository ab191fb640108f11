"""Long streamed responses that keep their gunicorn worker alive while they progress.

gunicorn's arbiter kills a worker that has not told it it is alive for `timeout` seconds
(30 by default), and a sync worker only tells it between requests: an export of a
million badges, which streams for about a minute, was cut off half-way. A response
streamed through `alive` tells it as it starts, after each block it sends (at most once
a second) and as it ends, so a download that makes progress lives as long as it needs
while a worker stuck anywhere (a block that never comes) is still killed on time. Each
worker installs its heartbeat after it is forked (gunicorn.conf.py, post_fork);
elsewhere (runserver, tests, other servers) there is none and `alive` only passes the
blocks on.
"""

import time
from collections.abc import Callable, Iterable, Iterator

INTERVAL = 1.0  # seconds between two heartbeats at most
_heartbeat: Callable[[], None] | None = None


def heartbeat_install(notify: Callable[[], None] | None) -> None:
    """Make `notify` (the gunicorn worker's) the heartbeat of this process."""
    global _heartbeat
    _heartbeat = notify


def alive(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """`blocks`, beating the heartbeat when they start, after a block when a second has
    gone by since the last beat, and when they end: after the last block gunicorn (27 here,
    `util.close_graceful`) waits up to 2 seconds for a slow client to read the rest
    before it closes the connection, silent meanwhile, so that wait starts from a beat
    (with a worker timeout of 2 s, workers were now and then killed during it)."""
    beat = _heartbeat
    if beat is None:
        yield from blocks
        return
    beat()
    last = time.monotonic()
    for block in blocks:
        yield block
        now = time.monotonic()
        if now - last >= INTERVAL:
            beat()
            last = now
    beat()
