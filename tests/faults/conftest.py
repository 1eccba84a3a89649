"""The fault suite (issue 11) is collected only when asked for by path (``make test-faults``,
``pytest tests/faults``): each test starts and kills a stack of its own on PostgreSQL, which
``make test`` (whose ``testpaths`` include ``tests/``) must not pay for on every run."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent.resolve()


def _asked_for(config: pytest.Config) -> bool:
    for arg in config.args:
        # An argument may carry a node id (``file.py::test``); only its path part matters.
        target = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if target == _HERE or _HERE in target.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if _HERE in collection_path.resolve().parents and not _asked_for(config):
        return True
    return None
