"""Pausing Python's cyclic garbage collector while an import builds its rows.

An import holds a million small objects at once (records, writes, row tuples). The collector's
full passes walk all of them again and again while they are created: about a third of a
100k-user import's CPU on SQLite (docs/benchmarks.md). Nearly all of it is freed by reference
counting when the job ends, so the collector has nothing to find in it. Pausing is process-wide,
hence counted: the collector comes back when the last running job ends.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

_lock = threading.Lock()
_holders = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
