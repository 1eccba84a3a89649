"""Every row of a service's database, read straight, without its learner data map: how the tests
check the map's coverage (every row naming a learner is in their export, tests/
test_learner_data_map.py; no row holds their id once they are deleted, tests/
test_learner_deletion.py and tests/test_retention_deletion.py). Free of pytest."""

import asyncio
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy import MetaData, RowMapping, Table, select

from pathwise_devstack.testing import dev_login, png
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id

__all__ = ["PDF", "give_records", "learner_metadata", "learner_traces", "matching_rows"]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def matching_rows(
    url: str, metadata: MetaData, matches: Callable[[Table, RowMapping], bool]
) -> dict[str, list[RowMapping]]:
    """Per table of ``metadata`` (every one), the rows of the database at ``url`` for which
    ``matches(table, row)`` holds; tables with none are left out."""

    async def go() -> dict[str, list[RowMapping]]:
        db = Database(url)
        found: dict[str, list[RowMapping]] = {}
        try:
            async with db.engine.connect() as conn:
                for table in metadata.sorted_tables:
                    rows = (await conn.execute(select(table))).mappings().all()
                    hits = [row for row in rows if matches(table, row)]
                    if hits:
                        found[table.name] = hits
        finally:
            await db.dispose()
        return found

    return asyncio.run(go())


def learner_metadata() -> dict[str, MetaData]:
    """Every service's tables (all of them: each map's metadata is its service's)."""
    from pathwise_assessment.learner_data import LEARNER_DATA as ASSESSMENT
    from pathwise_gateway import app as _gateway_app  # noqa: F401  (every feature's tables)
    from pathwise_gateway.learner_data import LEARNER_DATA as GATEWAY
    from pathwise_pathways.learner_data import LEARNER_DATA as PATHWAYS
    from pathwise_profiles.learner_data import LEARNER_DATA as PROFILES

    return {m.service: m.metadata for m in (PROFILES, PATHWAYS, ASSESSMENT, GATEWAY)}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def learner_traces(database_urls: Mapping[str, str], learner: uuid.UUID) -> dict[str, int]:
    """Per ``service.table``, the rows any column of which, read as text, holds the learner's
    id (hyphenated or hex, any case): every table of every service, every column, not only
    the ones a map declares. ``{}`` once the learner is erased."""
    needles = (str(learner).lower(), learner.hex.lower())

    def holds(_table: Table, row: RowMapping) -> bool:
        return any(n in _text(v).lower() for v in row.values() for n in needles)

    return {
        f"{service}.{table}": len(rows)
        for service, metadata in learner_metadata().items()
        for table, rows in matching_rows(database_urls[service], metadata, holds).items()
    }


def give_records(gw: httpx.Client) -> None:
    """A portfolio file, a thread with an attachment and a reflection for learner-26 (the demo
    learner the export and deletion tests fill in: records in every service and two stores)."""
    learner = dev_login(gw, "learner-26")
    teacher = dev_login(gw, "teacher-03")
    base = f"/v1/learners/{demo_id('learner', 'learner-26')}"
    step = gw.get(f"{base}/pathway", headers=learner).json()["steps"][0]
    added = gw.post(
        f"{base}/portfolio",
        data={"kind": "image", "title": "My dot", "step_id": step["id"]},
        files={"file": ("dot.png", png(), "image/png")},
        headers=learner,
    )
    assert added.status_code == 201, added.text
    made = gw.post(
        f"{base}/threads",
        json={"subject": "Report", "body": "Here it is.",
              "participant_ids": [str(demo_id("user", "guardian-26"))]},
        headers=teacher,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    posted = gw.post(
        f"{base}/threads/{made.json()['id']}/messages",
        data={"body": "The report, attached."},
        files={"file": ("report.pdf", PDF, "application/pdf")},
        headers=teacher,
    )
    assert posted.status_code == 201, posted.text
    reflected = gw.post(
        f"{base}/reflections",
        json={"skill_code": step["skill_code"], "confidence": 3, "journal": "Getting there."},
        headers=learner,
    )
    assert reflected.status_code == 201, reflected.text
