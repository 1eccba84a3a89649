"""Which process runs an import job, and failing the jobs of a process that died.

A job runs as a background task of the process that accepted it, so a process exit (a deploy, a
crash, an OOM kill) leaves it ``queued`` or ``running`` for ever, and the one-import-per-district
rule would then refuse every later import. Each job records its runner as ``host:pid:token``; on
start-up a service fails the jobs of a runner on its own host that is gone: its pid is not alive,
or it is our own pid (a restarted container is pid 1 again, and we have started no job yet).
A runner on another host cannot be checked from here and is left alone.
"""

import logging
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from pathwise_profiles.repository import imports as repo
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.runners import runner_is_gone, this_runner
from pathwise_shared.timeutil import utcnow

__all__ = ["fail_abandoned_jobs", "fail_abandoned_jobs_on_startup", "runner_is_gone", "this_runner"]

logger = logging.getLogger("pathwise.profiles.imports")
INTERRUPTED = (
    "The process running this import stopped before it finished. What was written is consistent "
    "chunk by chunk; run the same files again to complete it."
)


async def fail_abandoned_jobs(db: Database) -> list[str]:
    """Mark the queued or running jobs of a dead runner ``failed``; returns their ids."""
    failed: list[str] = []
    async with unit_of_work(db) as session:
        for job in await repo.active_jobs(session):
            if not runner_is_gone(job["runner"]):
                continue
            report: dict[str, Any] = dict(job["report"] or {})
            report["interrupted"] = {
                "state_when_stopped": job["state"],
                "runner": job["runner"],
                "rows_done": job["rows_done"],
                "rows_total": job["rows_total"],
                "found_at": utcnow().isoformat(),
                "message": INTERRUPTED,
            }
            await repo.update_job(
                session,
                job["id"],
                {
                    "state": "failed",
                    "report": report,
                    "error": INTERRUPTED,
                    "finished_at": utcnow(),
                },
            )
            failed.append(str(job["id"]))
    if failed:
        logger.warning("failed %d import job(s) left by a stopped process: %s", len(failed), failed)
    return failed


async def fail_abandoned_jobs_on_startup(app: FastAPI) -> None:
    try:
        await fail_abandoned_jobs(app.state.db)
    except SQLAlchemyError:
        # Not migrated yet (migrations are their own step): requests will say so; starting is fine.
        logger.exception("could not look for abandoned import jobs")
