import os

import pytest

# Playwright's sync API runs an asyncio loop in the test thread for the whole session,
# and Django refuses ORM calls from a thread with a running loop (test set-up and the
# database flush at teardown included). Nothing async touches the ORM in these tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_django(transactional_db, live_server):
    """A live server on 127.0.0.1 with a real database, for Playwright to drive."""
    return live_server
