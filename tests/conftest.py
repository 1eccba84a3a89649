"""Cross-service fixtures: the four real services on free loopback ports, real databases.

The stack carries the demo district of ``make run`` (the same seed functions), so cross-service
tests can act as its users: teacher-01, learner-01, guardian-01, admin-district, … A test that
must stop a service owns a stack of its own (``start_stack``) so it does not break the others.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pathwise_devstack.seed import seed_demo, seed_demo_live
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack, StackConfig, free_port
from pathwise_devstack.testing import TEST_SECRET, create_test_database, drop_test_database


@contextmanager
def start_stack(directory: Path, *, seed: bool = True) -> Iterator[Stack]:
    """Migrate fresh databases, seed the demo district, start the four services, wait for ready."""
    databases = {spec.name: create_test_database(spec.name, directory) for spec in SERVICES}
    config = StackConfig(
        ports={spec.name: free_port() for spec in SERVICES},
        database_urls={name: db.url for name, db in databases.items()},
        env={"PATHWISE_ENV": "test", "PATHWISE_LOG_LEVEL": "WARNING"},
    )
    running = Stack(config, log_dir=str(directory / "logs"))
    try:
        running.migrate()
        if seed:
            seed_demo(config)
        running.start()
        running.wait_ready(timeout=90)
        if seed:
            seed_demo_live(config, TEST_SECRET)
        yield running
    finally:
        running.stop()
        for db in databases.values():
            drop_test_database(db)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
