"""The learner data map covers every table (docs/privacy.md, "The learner data map").

Statically: every table of every service's metadata is declared exactly once, a table with a
column that looks like a person and declared ``NoLearnerData`` says why, and a table added
without a declaration fails. Against a real stack (the demo district): every row of any table
whose columns name a learner (the id in a column, or an event subject ``learner/<id>…``) is found
in that learner's export, downloaded from the gateway as a guardian would, table by table; a row
the export misses, or a table declared as holding nothing that does hold the learner's rows, fails.
"""

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import JSON, Column, MetaData, String, Table, Uuid

from pathwise_assessment.learner_data import LEARNER_DATA as ASSESSMENT
from pathwise_devstack.learner_rows import PDF, give_records, matching_rows
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, png
from pathwise_gateway import app as _gateway_app  # noqa: F401  (every feature's tables)
from pathwise_gateway.learner_data import LEARNER_DATA as GATEWAY
from pathwise_pathways.learner_data import LEARNER_DATA as PATHWAYS
from pathwise_profiles.learner_data import LEARNER_DATA as PROFILES
from pathwise_shared.db.learner_data import (
    LearnerDataMap,
    LearnerTable,
    NoLearnerData,
    looks_like_person,
)
from pathwise_shared.demo import demo_id

MAPS = {m.service: m for m in (PROFILES, PATHWAYS, ASSESSMENT, GATEWAY)}


# ---- the declarations ------------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(MAPS))
def test_every_table_is_declared_once(service: str) -> None:
    data_map = MAPS[service]
    assert data_map.undeclared() == []
    names = [e.name for e in data_map.entries]
    assert sorted(names) == sorted(data_map.metadata.tables)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("service", sorted(MAPS))
def test_no_learner_data_with_a_person_column_says_why(service: str) -> None:
    for entry in MAPS[service].entries:
        if isinstance(entry, NoLearnerData):
            people = [c.name for c in entry.table.columns if looks_like_person(c.name)]
            if people:
                assert len(entry.why.strip()) >= 15, (service, entry.name, people)


def test_a_new_table_without_a_declaration_fails() -> None:
    metadata = MetaData()
    known = Table("known", metadata, Column("id", Uuid, primary_key=True))
    data_map = LearnerDataMap("x", metadata, (NoLearnerData(known, why="nothing"),))
    Table("added", metadata, Column("learner_id", Uuid, primary_key=True))
    assert data_map.undeclared() == ["added"]


def test_wrong_declarations_fail_when_the_map_is_built() -> None:
    metadata = MetaData()
    parent = Table("parent", metadata, Column("id", Uuid, primary_key=True))
    child = Table(
        "child", metadata, Column("id", Uuid, primary_key=True), Column("parent_id", Uuid)
    )
    other = Table("other", MetaData(), Column("id", Uuid, primary_key=True))
    from pathwise_shared.db.learner_data import Via

    cases: list[tuple[Any, ...]] = [
        (LearnerTable(parent, learner_columns=("learner_id",)),),  # no such column
        (LearnerTable(parent),),  # names no learner at all
        (NoLearnerData(parent), NoLearnerData(parent)),  # twice
        (NoLearnerData(other),),  # another metadata's table
        (NoLearnerData(parent), LearnerTable(child, via=Via("parent_id", parent))),  # via no
    ]
    for entries in cases:
        with pytest.raises(ValueError, match=r"^x: "):
            LearnerDataMap("x", metadata, entries)


def test_person_columns_are_recognised() -> None:
    for name in ("learner_id", "user_id", "student_id", "guardian_id", "author", "author_id",
                 "created_by", "subject", "actor", "participants", "student_number"):  # fmt: skip
        assert looks_like_person(name), name
    for name in ("id", "title", "skill_code", "district_id", "created_at"):
        assert not looks_like_person(name), name


# ---- against a real stack -------------------------------------------------------------------

LEARNER = demo_id("learner", "learner-01")  # guardian-01's child: goals, a pathway, a portfolio
# The demo's credential learner (badges, attempts, a completed goal); given here a portfolio
# file, a thread about them with an attachment, and a reflection.
RICH = demo_id("learner", "learner-26")


# What give_records uploads, to find again in the export.
PNG = png()


def _names_learner(value: Any, learner: uuid.UUID) -> bool:
    text = str(learner)
    if isinstance(value, uuid.UUID):
        return value == learner
    if isinstance(value, str):
        return (
            value == text
            or value.startswith(f"learner/{text}")
            or value.startswith(f"user/{text}/")
        )
    return False


def _pk(table: Table, row: Any) -> tuple[str, ...]:
    return tuple(str(row[c.name]) for c in table.primary_key.columns)


def rows_naming(
    url: str, metadata: MetaData, learner: uuid.UUID
) -> dict[str, set[tuple[str, ...]]]:
    """Per table, the primary keys of the rows with a column (not JSON: a payload's mention is
    not a record of the learner) holding the learner's id or a subject of theirs, read straight
    from the service's database, without the map."""

    def names(table: Table, row: Any) -> bool:
        return any(
            _names_learner(row[c.name], learner)
            for c in table.columns
            if isinstance(c.type, Uuid | String) and not isinstance(c.type, JSON)
        )

    return {
        name: {_pk(metadata.tables[name], row) for row in rows}
        for name, rows in matching_rows(url, metadata, names).items()
    }


def export_zip(gw: httpx.Client, learner: uuid.UUID, who: str) -> zipfile.ZipFile:
    headers = dev_login(gw, who)
    made = gw.post(f"/v1/learners/{learner}/exports", headers=headers)
    assert made.status_code == 202, made.text
    job = made.json()
    assert made.headers["location"].endswith(job["id"])
    deadline = time.monotonic() + 60
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        polled = gw.get(f"/v1/learners/{learner}/exports/{job['id']}", headers=headers)
        assert polled.status_code == 200, polled.text
        job = polled.json()
    assert job["state"] == "succeeded", job
    got = gw.get(job["download"], headers=headers)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert len(got.content) == job["size_bytes"]
    return zipfile.ZipFile(io.BytesIO(got.content))


EXPORTS = {"learner-01": (LEARNER, "guardian-01"), "learner-26": (RICH, "admin-district")}


@pytest.fixture(scope="module", params=sorted(EXPORTS))
def learner_export(
    request: pytest.FixtureRequest, gw: httpx.Client, stack: Stack
) -> Iterator[tuple[Any, zipfile.ZipFile]]:
    learner, who = EXPORTS[request.param]
    if learner == RICH:
        give_records(gw)
    # Read the databases first: rows written meanwhile (new audit entries, relayed events) are
    # in the export too, so "every row found is exported" holds however busy the stack is.
    found = {
        service: rows_naming(stack.config.database_urls[service], m.metadata, learner)
        for service, m in MAPS.items()
    }
    with export_zip(gw, learner, who) as archive:
        yield found, archive


@pytest.mark.integration
def test_every_row_naming_the_learner_is_exported(
    learner_export: tuple[dict[str, dict[str, set[tuple[str, ...]]]], zipfile.ZipFile],
) -> None:
    found, archive = learner_export
    names = set(archive.namelist())
    missing: list[str] = []
    for service, tables in found.items():
        data_map = MAPS[service]
        for table_name, keys in tables.items():
            entry = data_map.entry(table_name)
            if not isinstance(entry, LearnerTable):
                missing.append(f"{service}.{table_name}: holds the learner's rows, declared none")
                continue
            member = f"{service}/{table_name}.json"
            assert member in names, member
            exported = {_pk(entry.table, row) for row in json.loads(archive.read(member))}
            lost = keys - exported
            if lost:
                missing.append(f"{service}.{table_name}: {len(lost)} of {len(keys)} not exported")
    assert not missing, missing
    # The learner's records are really there (not an export of nothing that trivially covers).
    for service, table in [
        ("profiles", "users"), ("profiles", "learner_profiles"), ("profiles", "goals"),
        ("profiles", "enrollments"), ("profiles", "guardian_links"),
        ("pathways", "pathways"), ("pathways", "pathway_steps"), ("pathways", "pathway_versions"),
        ("gateway", "audit_log"), ("gateway", "learner_exports"),
    ]:  # fmt: skip
        rows = json.loads(archive.read(f"{service}/{table}.json"))
        assert rows, f"{service}.{table} exported no row of the learner"
    manifest = json.loads(archive.read("manifest.json"))
    if manifest["learner_id"] != str(RICH):
        return
    # The rich learner's records of every kind, with their files.
    for service, table in [
        ("assessment", "attempts"), ("assessment", "attempt_items"), ("assessment", "responses"),
        ("assessment", "mastery_states"), ("assessment", "mastery_history"),
        ("assessment", "credentials"), ("assessment", "badges"),
        ("profiles", "reflections"), ("profiles", "message_threads"), ("profiles", "messages"),
        ("profiles", "message_attachments"), ("profiles", "thread_participants"),
        ("pathways", "portfolio_artifacts"),
    ]:  # fmt: skip
        rows = json.loads(archive.read(f"{service}/{table}.json"))
        assert rows, f"{service}.{table} exported no row of learner-26"
    contents = {f["filename"]: archive.read(f["path"]) for f in manifest["files"]}
    assert contents["dot.png"] == PNG
    assert contents["report.pdf"] == PDF


@pytest.mark.integration
def test_the_manifest_counts_and_hashes_every_file(
    learner_export: tuple[Any, zipfile.ZipFile],
) -> None:
    import hashlib

    _, archive = learner_export
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["learner_id"] in {str(LEARNER), str(RICH)}
    assert manifest["district_id"] == str(demo_id("district", "riverside"))
    assert manifest["generated_at"]
    members = set(archive.namelist()) - {"manifest.json"}
    assert set(manifest["sha256"]) == members
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    for service, tables in manifest["counts"].items():
        assert set(tables) == {t.name for t in MAPS[service].learner_tables}
        for table, count in tables.items():
            assert len(json.loads(archive.read(f"{service}/{table}.json"))) == count
    # Flat tables are CSV as well; a table with JSON columns is JSON only.
    assert "profiles/enrollments.csv" in members
    assert "profiles/learner_profiles.csv" not in members
