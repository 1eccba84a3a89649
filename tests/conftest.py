"""Cross-service fixtures: the four real services on free loopback ports, real databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack, StackConfig, free_port
from pathwise_devstack.testing import create_test_database, drop_test_database


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory: Path = tmp_path_factory.mktemp("stack")
    databases = {spec.name: create_test_database(spec.name, directory) for spec in SERVICES}
    config = StackConfig(
        ports={spec.name: free_port() for spec in SERVICES},
        database_urls={name: db.url for name, db in databases.items()},
        env={"PATHWISE_ENV": "test", "PATHWISE_LOG_LEVEL": "WARNING"},
    )
    running = Stack(config, log_dir=str(directory / "logs"))
    try:
        running.migrate()
        running.start()
        running.wait_ready(timeout=90)
        yield running
    finally:
        running.stop()
        for db in databases.values():
            drop_test_database(db)
