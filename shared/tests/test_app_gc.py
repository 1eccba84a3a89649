"""A running service keeps what it started with out of the garbage collector's generations
(``gc.freeze`` once started), and gives it back when it stops (pathwise_shared.app)."""

import gc
from pathlib import Path

from pathwise_shared.app import create_service_app
from pathwise_shared.settings import ServiceSettings


async def test_the_start_is_frozen_while_the_service_runs(tmp_path: Path) -> None:
    settings = ServiceSettings(
        service_name="demo", database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    )
    app = create_service_app(settings, title="t", description="d")
    gc.unfreeze()  # whatever another test left: this one starts from nothing frozen
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        # The app, its routes and schemas, the modules: thousands of objects, not a few.
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
