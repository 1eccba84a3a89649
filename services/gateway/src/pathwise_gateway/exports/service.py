"""The export job: asked for (a district administrator, or a guardian of the learner), run in the
background, resumed after a restart, downloaded once it succeeded (docs/privacy.md).

State lives in ``learner_exports``. A job runs as a task of the process that accepted it and
records that process as its runner (``pathwise_shared.runners``); on start-up the gateway takes
over the queued or running jobs of a runner that is gone and runs them again from the start
(an export only reads, so a second run writes the same archive; the archive is stored whole or
not at all, under the job's own key). Whatever fails (a service down, a file missing, the store)
fails the job with a message: never a half-written archive marked done.
"""

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.exports import repository as repo
from pathwise_gateway.exports.domain import ArchiveFile, write_archive
from pathwise_gateway.proxy.schemas import AuditEntryOut
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.audit_queries import learner_access_log
from pathwise_gateway.proxy.service.upstreams import Upstreams
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.learner_data import LearnerDataMap, export_learner
from pathwise_shared.db.schedule import run_every
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.ids import new_id
from pathwise_shared.learner_export import EXPORT_JOB
from pathwise_shared.problems import Conflict, NotFound, Problem
from pathwise_shared.runners import resume_in_background, take_over_abandoned, this_runner
from pathwise_shared.storage import FileStore, make_store
from pathwise_shared.timeutil import utcnow

__all__ = [
    "EXPORTED_SERVICES",
    "ExportRunner",
    "close_exports",
    "create_job",
    "download",
    "get_job",
    "open_exports",
    "run_export_sweeps",
    "sweep_expired_exports",
]

logger = logging.getLogger("pathwise.gateway.exports")

# The services whose learner data maps the job reads over HTTP; the gateway's own is read here.
EXPORTED_SERVICES = ("profiles", "pathways", "assessment")
INTERRUPTED = "The gateway stopped while this export ran; it was started again."


def export_principal(district_id: uuid.UUID) -> Principal:
    """The job's caller of the services' export routes: the system, in the learner's district."""
    return Principal(subject=f"system:{EXPORT_JOB}", kind="system", district_id=district_id)


def _requester_role(principal: Principal) -> str:
    return "district_admin" if principal.has_role("district_admin") else "guardian"


@dataclass
class ExportRunner:
    db: Database
    upstreams: Upstreams
    audit: AuditLog
    store: FileStore
    gateway_map: LearnerDataMap
    keep_hours: int
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def launch(self, job_id: uuid.UUID) -> None:
        task = asyncio.create_task(self.run(job_id), name=f"learner-export-{job_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self, job_id: uuid.UUID) -> None:
        """``launch`` from a coroutine (a response's background task runs a plain function in a
        worker thread, which has no event loop)."""
        self.launch(job_id)

    async def run(self, job_id: uuid.UUID) -> None:
        async with unit_of_work(self.db, write=True) as session:
            claimed = await repo.update_job(
                session,
                job_id,
                {"state": "running", "started_at": utcnow(), "runner": this_runner()},
                state="queued",
            )
            job = await repo.job_by_id(session, job_id) if claimed else None
        if job is None:
            return  # another process has it, or it is finished
        try:
            result = await self._build(job)
        except asyncio.CancelledError:
            raise  # shutdown: the job stays "running" under our runner, resumed at start-up
        except Exception as exc:
            detail = exc.detail if isinstance(exc, Problem) and exc.detail else str(exc)
            logger.exception("learner export %s failed", job_id)
            async with unit_of_work(self.db, write=True) as session:
                await repo.update_job(
                    session,
                    job_id,
                    {
                        "state": "failed",
                        "finished_at": utcnow(),
                        "error": f"{type(exc).__name__}: {detail}"[:2000],
                    },
                    state="running",
                )
            return
        async with unit_of_work(self.db, write=True) as session:
            done = await repo.update_job(
                session, job_id, {"state": "succeeded", **result}, state="running"
            )
        if not done:
            await self.store.delete(result["storage_key"])

    async def _build(self, job: RowMapping) -> dict[str, Any]:
        learner_id: uuid.UUID = job["learner_id"]
        district_id: uuid.UUID = job["district_id"]
        principal = export_principal(district_id)
        base = f"/internal/learners/{learner_id}/export"
        parts: dict[str, dict[str, Any]] = {}
        for name in EXPORTED_SERVICES:
            caller = self.upstreams[name].caller
            parts[name] = await caller.json("GET", base, principal)
        # The request that asked for this export is in the audit buffer: write it first, so the
        # export's own entry is in the archive.
        await self.audit.flush()
        async with unit_of_work(self.db, read_only=True) as session:
            parts["gateway"] = await export_learner(
                session, self.gateway_map, learner_id, district_id
            )
        files: list[ArchiveFile] = []
        for name in EXPORTED_SERVICES:
            caller = self.upstreams[name].caller
            for ref in parts[name].get("files", []):
                response = await caller.request(
                    "GET",
                    f"{base}/file",
                    principal,
                    params={"table": ref["table"], "key": ref["storage_key"]},
                )
                if response.status_code != 200:
                    caller.answer(response)  # a problem (4xx) or unavailable (5xx)
                    raise NotFound(f"{name} did not give the file {ref['storage_key']}.")
                files.append(
                    ArchiveFile(
                        service=name,
                        table=str(ref["table"]),
                        storage_key=str(ref["storage_key"]),
                        filename=str(ref.get("filename") or "file"),
                        content=response.content,
                    )
                )
        async with unit_of_work(self.db, read_only=True) as session:
            # A guardian's archive names no other guardian of the child (as their access log).
            viewer = job["requested_by"] if job["requested_role"] == "guardian" else None
            entries = await learner_access_log(
                session,
                self.audit,
                self.upstreams["profiles"],
                principal,
                learner_id,
                viewer=viewer,
            )
        access_log = [AuditEntryOut.of(e).model_dump(mode="json") for e in entries]
        header = {
            "export_id": str(job["id"]),
            "learner_id": str(learner_id),
            "district_id": str(district_id),
            "generated_at": utcnow().isoformat(),
            "requested_by": job["requested_by"],
            "requested_role": job["requested_role"],
        }
        key = f"exports/{district_id}/{job['id']}.zip"
        with tempfile.TemporaryFile() as spool:
            manifest = write_archive(
                spool, header=header, parts=parts, files=files, access_log=access_log
            )
            size = spool.tell()
            spool.seek(0)
            digest = hashlib.sha256()
            while chunk := spool.read(256 * 1024):
                digest.update(chunk)
            spool.seek(0)
            await self.store.put(key, spool, "application/zip")
        finished = utcnow()
        return {
            "finished_at": finished,
            "expires_at": finished + timedelta(hours=self.keep_hours),
            "storage_key": key,
            "size_bytes": size,
            "sha256": digest.hexdigest(),
            "counts": manifest["counts"],
            "error": None,
        }

    async def resume_abandoned(self) -> list[uuid.UUID]:
        """Take over the queued or running jobs of a process that is gone and run them again."""
        resumed = await take_over_abandoned(
            self.db,
            unfinished=repo.active_jobs,
            update_job=repo.update_job,
            launch=self.launch,
            interrupted=INTERRUPTED,
        )
        if resumed:
            logger.warning("resumed %d learner export(s) left by a stopped process", len(resumed))
        return resumed

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def sweep_expired_exports(
    session: AsyncSession, store: FileStore, *, now: datetime | None = None, batch: int = 500
) -> int:
    """Remove the zips of succeeded exports past ``expires_at`` from the store and mark the jobs
    ``expired`` (no ``storage_key``); how many. The file goes first: if marking the job fails
    the next round deletes it again (nothing there) and marks it; a job is never ``expired``
    while its zip is still stored."""
    now = now or utcnow()
    expired = 0
    for job in await repo.expired_jobs(session, now, batch):
        if job["storage_key"]:
            await store.delete(job["storage_key"])
        if await repo.update_job(
            session, job["id"], {"state": "expired", "storage_key": None}, state="succeeded"
        ):
            expired += 1
    return expired


async def run_export_sweeps(
    db: Database, store: FileStore, interval_seconds: float, rounds: int | None = None
) -> None:
    async def job(session: AsyncSession) -> int:
        return await sweep_expired_exports(session, store)

    await run_every(
        db,
        interval_seconds,
        job,
        name="expired learner exports",
        done_message="%d expired export zips removed from the store",
        rounds=rounds,
    )


def _store(settings: GatewaySettings) -> FileStore:
    return make_store(
        settings.exports_storage_backend,
        directory=settings.exports_storage_dir,
        bucket=settings.exports_s3_bucket,
        endpoint_url=settings.exports_s3_endpoint_url,
        access_key_id=settings.exports_s3_access_key_id,
        secret_access_key=settings.exports_s3_secret_access_key.get_secret_value(),
        region=settings.exports_s3_region,
        env_prefix="GATEWAY_EXPORTS_",
    )


async def open_exports(app: FastAPI) -> None:
    """Start-up hook (after the upstreams and the audit log; ``app.state.learner_data_map`` is
    the gateway's own map, plugged in by app.py)."""
    settings: GatewaySettings = app.state.settings
    runner = ExportRunner(
        db=app.state.db,
        upstreams=app.state.upstreams,
        audit=app.state.audit,
        store=_store(settings),
        gateway_map=app.state.learner_data_map,
        keep_hours=settings.exports_keep_hours,
    )
    app.state.exports = runner
    resume_in_background(runner.tasks, runner.resume_abandoned, what="learner exports", log=logger)
    # Off in tests, which run ``sweep_expired_exports`` with their own clock.
    if settings.environment != "test" and settings.exports_sweep_interval_seconds > 0:
        sweep = asyncio.create_task(
            run_export_sweeps(runner.db, runner.store, settings.exports_sweep_interval_seconds),
            name="learner-export-sweep",
        )
        runner.tasks.add(sweep)
        sweep.add_done_callback(runner.tasks.discard)


async def close_exports(app: FastAPI) -> None:
    runner: ExportRunner | None = getattr(app.state, "exports", None)
    if runner is not None:
        await runner.stop()


async def create_job(
    session: Any, principal: Principal, learner_id: uuid.UUID
) -> tuple[dict[str, Any], bool]:
    """A queued job (the route's access rule has run: the caller may ask for this learner).
    While one of the caller's exports of this learner is queued or running, that one is the
    answer: asking again (a double click, a retry) never piles up jobs."""
    district = principal.require_district()
    running = await repo.active_job_of(session, district, learner_id, principal.subject[:200])
    if running is not None:
        return dict(running), False
    now = utcnow()
    values = {
        "id": new_id(),
        "district_id": principal.require_district(),
        "learner_id": learner_id,
        "requested_by": principal.subject[:200],
        "requested_role": _requester_role(principal),
        "state": "queued",
        "created_at": now,
        "runner": this_runner(),
    }
    await repo.insert_job(session, values)
    return values, True


async def get_job(
    session: Any, principal: Principal, learner_id: uuid.UUID, job_id: uuid.UUID
) -> RowMapping:
    """The job, to the one who asked for it or a district administrator; anyone else 404, as a
    job that does not exist (another guardian of the same child asks for their own)."""
    job = await repo.get_job(session, principal.require_district(), learner_id, job_id)
    if job is None or (
        job["requested_by"] != principal.subject and not principal.has_role("district_admin")
    ):
        raise NotFound("No such export of this learner.", slug="export-not-found")
    return job


async def download(
    session: Any,
    runner: ExportRunner,
    principal: Principal,
    learner_id: uuid.UUID,
    job_id: uuid.UUID,
) -> tuple[RowMapping, AsyncIterator[bytes]]:
    job = await get_job(session, principal, learner_id, job_id)
    expired = job["expires_at"] is not None and job["expires_at"] <= utcnow()
    if job["state"] != "succeeded" or job["storage_key"] is None or expired:
        raise Conflict(
            f"The export is {'expired' if expired else job['state']}, not ready to download.",
            slug="export-not-ready",
        )
    chunks = runner.store.get(job["storage_key"])
    return job, chunks
