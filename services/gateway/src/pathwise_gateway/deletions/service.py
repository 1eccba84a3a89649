"""The deletion job: asked for by a district administrator, run in the background, resumed after
a restart; it erases the learner in every service and leaves a tombstone and a certificate
(docs/privacy.md "Deletion").

State lives in ``learner_deletions``: the steps done (``progress``, one entry per service, each
recorded after that service's erase committed). A job runs as a task of the process that
accepted it; on start-up the gateway takes over the queued or running jobs of a process that is
gone and runs the steps not recorded (each service's erase is idempotent: a step done but not
recorded answers zeros). A step that fails (a service down) fails the job with a message and
keeps the steps done; asking again resumes it. The gateway's own erase, the ``learner.deleted``
event, the certificate and clearing the learner's id from the job are one transaction: the job
is succeeded exactly when the learner is gone everywhere.

The districts' retention policies start jobs too: every ``retention_deletion_interval_seconds``
the runner takes profiles' ``pending`` learners (due by their district's policy, no hold when
last evaluated) and starts a job for each (``origin`` "retention"), which profiles accepts only
if ``may_delete`` still allows it; such a job records the deletion in profiles' retention report
(by deletion and tombstone) before its last step.
"""

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import RowMapping, select

from pathwise_gateway.deletions import repository as repo
from pathwise_gateway.deletions.domain import (
    DELETION_STEPS,
    RETENTION_REQUESTER,
    RETENTION_STEP,
    certificate,
    tombstone,
)
from pathwise_gateway.events.service.intake import ingest_own_events
from pathwise_gateway.exports.models import learner_exports
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.upstreams import Upstreams
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.calls import system_principal
from pathwise_shared.db import Database
from pathwise_shared.db.learner_data import LearnerDataMap, erase_learner
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.events import new_event
from pathwise_shared.ids import new_id
from pathwise_shared.learner_export import DELETION_JOB
from pathwise_shared.problems import Conflict, NotFound, Problem
from pathwise_shared.runners import resume_in_background, take_over_abandoned, this_runner
from pathwise_shared.storage import FileStore
from pathwise_shared.timeutil import utcnow

__all__ = ["DeletionRunner", "close_deletions", "create_job", "get_job", "open_deletions"]

# Pending learners taken per retention round (the rest wait for the next round).
RETENTION_BATCH = 100

logger = logging.getLogger("pathwise.gateway.deletions")

INTERRUPTED = "The gateway stopped while this deletion ran; it was started again."


def deletion_principal(district_id: uuid.UUID) -> Principal:
    """The job's caller of the services' erase routes: the system, in the learner's district."""
    return Principal(subject=f"system:{DELETION_JOB}", kind="system", district_id=district_id)


@dataclass
class DeletionRunner:
    db: Database
    upstreams: Upstreams
    audit: AuditLog
    export_store: FileStore
    gateway_map: LearnerDataMap
    pepper: str
    retry_seconds: float = 60.0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def tombstone(self, district_id: uuid.UUID, learner_id: uuid.UUID) -> str:
        return tombstone(self.pepper, district_id, learner_id)

    def launch(self, job_id: uuid.UUID) -> None:
        task = asyncio.create_task(self.run(job_id), name=f"learner-deletion-{job_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self, job_id: uuid.UUID) -> None:
        self.launch(job_id)

    async def check(self, district_id: uuid.UUID, learner_id: uuid.UUID) -> None:
        """Profiles' refusal before the job is accepted: a learner it does not know (404) or
        one under a legal hold (409). The roster's owner is the one that knows both; the other
        services are not asked (one of them down delays the job, it does not refuse it)."""
        caller = self.upstreams["profiles"].caller
        response = await caller.request(
            "POST", f"/internal/learners/{learner_id}/erase/check", deletion_principal(district_id)
        )
        if response.status_code != 204:
            caller.answer(response)  # profiles' problem, or unavailable

    async def run(self, job_id: uuid.UUID) -> None:
        """Run the job until it succeeds: a failed step (a service down) fails the job with its
        message, and it is tried again ``retry_seconds`` later, from the steps not done, for as
        long as this process lives (then the next start takes it over): a learner is never
        left half-deleted for good."""
        while True:
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
                await self._erase(job)
                return
            except asyncio.CancelledError:
                raise  # shutdown: the job stays "running" under our runner, resumed at start-up
            except Exception as exc:
                detail = exc.detail if isinstance(exc, Problem) and exc.detail else str(exc)
                # A service's refusal (a legal hold set since the job was accepted: profiles'
                # 409, before it changed anything) does not pass by itself: the job ends
                # "refused", and asking again (once the hold is lifted) makes a new one.
                # A 4xx once a service has erased (a bug, a step's odd answer) is a failure,
                # tried again: the learner must not stay half-deleted.
                refused = isinstance(exc, Problem) and 400 <= exc.status_code < 500
                async with unit_of_work(self.db, write=True) as session:
                    current = await repo.job_by_id(session, job_id)
                    refused = refused and current is not None and not current["progress"]
                    logger.exception("learner deletion %s %s", job_id, "refused" if refused
                                     else "failed; tried again later")  # fmt: skip
                    await repo.update_job(
                        session,
                        job_id,
                        {
                            "state": "refused" if refused else "failed",
                            "error": f"{type(exc).__name__}: {detail}"[:2000],
                            **({"finished_at": utcnow()} if refused else {}),
                        },
                        state="running",
                    )
                if refused:
                    return
            await asyncio.sleep(self.retry_seconds)
            async with unit_of_work(self.db, write=True) as session:
                if not await repo.update_job(session, job_id, {"state": "queued"}, state="failed"):
                    return

    async def _erase(self, job: RowMapping) -> None:
        job_id: uuid.UUID = job["id"]
        learner_id: uuid.UUID = job["learner_id"]
        district_id: uuid.UUID = job["district_id"]
        principal = deletion_principal(district_id)
        progress: dict[str, Any] = dict(job["progress"] or {})
        for name in DELETION_STEPS:
            if name == "gateway" or name in progress:
                continue
            counts = await self.upstreams[name].caller.json(
                "POST", f"/internal/learners/{learner_id}/erase", principal
            )
            progress[name] = counts
            async with unit_of_work(self.db, write=True) as session:
                await repo.update_job(session, job_id, {"progress": progress}, state="running")
        if job["origin"] == "retention" and RETENTION_STEP not in progress:
            # Profiles' erase removed the learner's pending row: the report lists them from now
            # on by this deletion (idempotent, like the erases).
            await self.upstreams["profiles"].caller.json(
                "POST",
                "/internal/retention/deletions",
                principal,
                json={"deletion_id": str(job_id), "tombstone": job["tombstone"],
                      **(job["retention"] or {})},
            )  # fmt: skip
            progress[RETENTION_STEP] = {"recorded": True}
            async with unit_of_work(self.db, write=True) as session:
                await repo.update_job(session, job_id, {"progress": progress}, state="running")
        # The requests about the learner (this deletion's own among them) are in the audit
        # buffer: write them first, so the gateway's erase finds them.
        await self.audit.flush()
        async with unit_of_work(self.db, write=True) as session:
            # Export archives of the learner are the learner's data too: gone with their rows.
            keys = await session.execute(
                select(learner_exports.c.storage_key).where(
                    learner_exports.c.district_id == district_id,
                    learner_exports.c.learner_id == learner_id,
                    learner_exports.c.storage_key.is_not(None),
                )
            )
            for (key,) in keys.all():
                await self.export_store.delete(str(key))
            erasure = await erase_learner(session, self.gateway_map, learner_id, district_id)
            progress["gateway"] = erasure.as_json()
            now = utcnow()
            cert = certificate(
                deletion_id=job_id,
                district_id=district_id,
                tombstone_hash=job["tombstone"],
                requested_by=job["requested_by"],
                origin=job["origin"],
                retention=job["retention"],
                requested_at=job["created_at"],
                completed_at=now,
                progress=progress,
                resumed=job["error"] is not None,
            )
            event = new_event(
                "learner.deleted",
                district_id=district_id,
                subject=f"deletion/{job_id}",
                data={
                    "tombstone": job["tombstone"],
                    "deletion_id": str(job_id),
                    "origin": job["origin"],
                },
            )
            await ingest_own_events(session, [event])
            done = await repo.update_job(
                session,
                job_id,
                {
                    "state": "succeeded",
                    "learner_id": None,
                    "progress": progress,
                    "certificate": cert,
                    "finished_at": now,
                    "error": None,
                },
                state="running",
            )
            if not done:
                raise RuntimeError("the deletion job was taken over while it ran")

    async def resume_abandoned(self) -> list[uuid.UUID]:
        """Take over the unfinished jobs (queued, running or failed: a failed one is tried
        again) of a process that is gone."""
        resumed = await take_over_abandoned(
            self.db,
            unfinished=repo.active_jobs,
            update_job=repo.update_job,
            launch=self.launch,
            interrupted=INTERRUPTED,
        )
        if resumed:
            logger.warning("resumed %d learner deletion(s) left by a stopped process", len(resumed))
        return resumed

    async def sweep_retention(self) -> int:
        """Start a job for each learner the retention policies made due (profiles' ``pending``
        rows of districts whose policy is on); how many started. A learner profiles now
        refuses (a hold set since the evaluation: 409; gone: 404) is skipped: the next
        evaluation lists them as held, or not at all."""
        listed = await self.upstreams["profiles"].caller.json(
            "GET",
            "/internal/retention/pending",
            system_principal(DELETION_JOB),
            params={"limit": RETENTION_BATCH},
        )
        started = 0
        for item in listed["items"]:
            district_id = uuid.UUID(item["district_id"])
            learner_id = uuid.UUID(item["learner_id"])
            retention = {k: item[k] for k in ("rule", "left_on", "due_since")}
            try:
                # Not a write-first transaction (SQLite's BEGIN IMMEDIATE): new_job asks profiles
                # over the network between its look-up and its insert, and the database's one
                # write lock must not wait on that call; the insert takes it, as the
                # administrator's request does.
                async with unit_of_work(self.db) as session:
                    job, new = await new_job(
                        session,
                        self,
                        district_id,
                        learner_id,
                        requested_by=RETENTION_REQUESTER,
                        origin="retention",
                        retention=retention,
                    )
            except Problem as exc:
                if exc.status_code >= 500:
                    raise  # profiles down: the round ends, the next one tries again
                logger.info("retention deletion of a learner of %s not started: %s",
                            district_id, exc.detail)  # fmt: skip
                continue
            if new:
                self.launch(job["id"])
                started += 1
        return started

    async def run_retention(self, interval_seconds: float) -> None:
        """The schedule: a retention round every ``interval_seconds``; a failed round (profiles
        down) is logged and the next one still comes."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                started = await self.sweep_retention()
            except Exception:
                logger.exception("retention deletions failed")
                continue
            if started:
                logger.info("started %d learner deletion(s) for retention policies", started)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def open_deletions(app: FastAPI) -> None:
    """Start-up hook (after the exports: the job deletes the learner's export archives from
    their store)."""
    settings: GatewaySettings = app.state.settings
    runner = DeletionRunner(
        db=app.state.db,
        upstreams=app.state.upstreams,
        audit=app.state.audit,
        export_store=app.state.exports.store,
        gateway_map=app.state.learner_data_map,
        pepper=settings.tombstone_pepper.get_secret_value(),
        retry_seconds=settings.deletion_retry_seconds,
    )
    app.state.deletions = runner
    resume_in_background(
        runner.tasks, runner.resume_abandoned, what="learner deletions", log=logger
    )
    if settings.retention_deletion_interval_seconds > 0:
        task = asyncio.create_task(
            runner.run_retention(settings.retention_deletion_interval_seconds),
            name="retention-deletions",
        )
        runner.tasks.add(task)
        task.add_done_callback(runner.tasks.discard)


async def close_deletions(app: FastAPI) -> None:
    runner: DeletionRunner | None = getattr(app.state, "deletions", None)
    if runner is not None:
        await runner.stop()


async def new_job(
    session: Any,
    runner: DeletionRunner,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    requested_by: str,
    origin: str,
    retention: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], bool]:
    """A queued job of the learner, after profiles said it would erase them (a legal hold:
    409, a learner it does not know: 404; nothing written). A job of the learner not yet done
    (queued, running, or failed and waiting to be tried again) is the answer instead: asking
    twice, or a retention round finding a learner an administrator already asked for, never
    makes two."""
    mark = runner.tombstone(district_id, learner_id)
    running = await repo.active_job_of(session, district_id, mark)
    if running is not None:
        return dict(running), False
    await runner.check(district_id, learner_id)
    values = {
        "id": new_id(),
        "district_id": district_id,
        "learner_id": learner_id,
        "tombstone": mark,
        "requested_by": requested_by[:200],
        "origin": origin,
        "retention": retention,
        "state": "queued",
        "created_at": utcnow(),
        "runner": this_runner(),
        "progress": {},
    }
    if not await repo.insert_job(session, values):
        # Another process made the learner's job between the look-up and the insert.
        winner = await repo.active_job_of(session, district_id, mark)
        if winner is not None:
            return dict(winner), False
        raise Conflict(
            "Another deletion of this learner was being made; ask again.",
            slug="conflict",
        )
    return values, True


async def create_job(
    session: Any, runner: DeletionRunner, principal: Principal, learner_id: uuid.UUID
) -> tuple[dict[str, Any], bool]:
    """A district administrator's deletion (the route's access rule has run: an administrator
    of the learner's district)."""
    return await new_job(
        session,
        runner,
        principal.require_district(),
        learner_id,
        requested_by=principal.subject,
        origin="request",
    )


async def get_job(session: Any, principal: Principal, job_id: uuid.UUID) -> RowMapping:
    job = await repo.get_job(session, principal.require_district(), job_id)
    if job is None:
        raise NotFound("No such deletion in your district.", slug="deletion-not-found")
    return job
