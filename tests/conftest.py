"""Cross-service fixtures: the four real services on free loopback ports, real databases.

The stack carries the demo district of ``make run`` (the same seed functions), so cross-service
tests can act as its users: teacher-01, learner-01, guardian-01, admin-district, … A test that
must stop or reconfigure a service owns a stack of its own
(``pathwise_devstack.testing.start_stack``) so it does not disturb the others.
"""

from collections.abc import Iterator

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    """A client of the shared stack's gateway (log in with ``pathwise_devstack.testing.dev_login``)."""
    with httpx.Client(base_url=stack.config.url("gateway"), timeout=20.0) as client:
        yield client
