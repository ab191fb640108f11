"""core.heap: workers keep what they loaded at startup out of the collector's reach."""

import gc

import pytest
from celery.signals import worker_init

from badges_project.celery import settle_worker_heap
from core.heap import YOUNG_THRESHOLD


@pytest.fixture
def collector_restored():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_celery_worker_settles_its_heap_once_it_has_loaded(collector_restored):
    # Given the handler Celery calls once a worker has loaded the tasks, before its pool forks
    receivers = [receiver() for _key, receiver in worker_init.receivers]
    assert settle_worker_heap in receivers
    gc.unfreeze()
    # When it runs
    settle_worker_heap()
    # Then what was alive is out of the collector's reach, and young objects are looked
    # at after YOUNG_THRESHOLD allocations
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
