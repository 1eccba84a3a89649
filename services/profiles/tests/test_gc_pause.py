"""The import's pause of the cyclic garbage collector: counted across overlapping jobs, and it
gives back the collector's state as it found it."""

import gc
from collections.abc import Iterator

import pytest

from pathwise_profiles.service.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def collector_back_on() -> Iterator[None]:
    yield
    gc.enable()


def test_overlapping_jobs_keep_it_paused_until_the_last_ends() -> None:
    gc.enable()
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second job still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_it_comes_back_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("job failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
