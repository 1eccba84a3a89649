"""Running an import job (a background task after the answer): read the files, plan, check the
guards, then write the plan in chunks with the job's progress.

It reads and plans everything first; writes nothing if ``dry_run``, if ``strict`` and any row
failed, or if the mass-change guard (``roster_guard``, per kind) trips without ``force``; otherwise it writes the plan in
chunks, committing each chunk with the job's progress (``commit_now``), so readers of the job see
``rows_done`` move. (Which process runs a job, and failing a dead one's: ``import_runner``.)
"""

import asyncio
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_csv import Manifest, ManifestError
from pathwise_profiles.domain.roster_guard import GuardLimits, GuardVerdict, check_guard
from pathwise_profiles.domain.roster_plan import Plan, Snapshot
from pathwise_profiles.domain.roster_planner import make_plan
from pathwise_profiles.repository import imports as repo
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.gc_pause import gc_paused
from pathwise_profiles.service.import_sources import FileSet
from pathwise_profiles.service.roster_apply import Parsed, apply_plan, read_file_set
from pathwise_shared.db import Database
from pathwise_shared.db.uow import commit_now, unit_of_work
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["MAX_ERRORS_REPORTED", "ImportOptions", "run_job"]

logger = logging.getLogger("pathwise.profiles.imports")
MAX_ERRORS_REPORTED = 1_000


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    strict: bool = False
    force: bool = False


def _report(
    manifest: Manifest, parsed: Parsed, plan: Plan, verdict: GuardVerdict
) -> dict[str, Any]:
    notes = list(manifest.notes)
    if parsed.not_stored.get("demographics"):
        # Nothing in Pathwise keeps demographics (no district setting turns it on): say so.
        notes.append(
            f"demographics.csv: {parsed.not_stored['demographics']} row(s) read and not "
            "stored; Pathwise keeps no demographics"
        )
    return {
        "oneroster_version": manifest.version,
        "mapped_from": manifest.mapped_from,
        "modes": {name: mode for name, mode in manifest.modes.items() if mode != "absent"},
        "notes": notes,
        "rows_read": parsed.rows,
        "rows_skipped": plan.skipped,
        "not_stored": {f"{name}.csv": count for name, count in parsed.not_stored.items()},
        "ignored_columns": parsed.ignored_columns,
        "diff": plan.diff(),
        "error_count": len(plan.errors),
        "errors": [e.as_dict() for e in plan.errors[:MAX_ERRORS_REPORTED]],
        "warning_count": len(plan.warnings),
        "warnings": [e.as_dict() for e in plan.warnings[:MAX_ERRORS_REPORTED]],
        "guard": verdict.report(),
    }


async def run_job(
    db: Database,
    job_id: uuid.UUID,
    district_id: uuid.UUID,
    files: FileSet,
    manifest: Manifest,
    options: ImportOptions,
    limits: GuardLimits,
    cleanup: Path | None = None,
) -> None:
    """The job itself (a background task): never raises; the job row says how it ended."""
    try:
        with gc_paused():
            await _run(db, job_id, district_id, files, manifest, options, limits)
    except Exception:
        logger.exception("import %s stopped on an unexpected error", job_id)
        async with unit_of_work(db) as session:
            await repo.update_job(
                session,
                job_id,
                {
                    "state": "failed",
                    "finished_at": utcnow(),
                    "error": "The import stopped on an unexpected error; what was written is "
                    "consistent, and running the same files again completes it.",
                },
            )
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)


async def _finish(
    session: AsyncSession, job_id: uuid.UUID, state: str, report: dict[str, Any], error: str | None
) -> None:
    """Record how the job ended; the run's unit of work commits it as the run returns."""
    await repo.update_job(
        session,
        job_id,
        {"state": state, "report": report, "error": error, "finished_at": utcnow()},
    )


async def _run(
    db: Database,
    job_id: uuid.UUID,
    district_id: uuid.UUID,
    files: FileSet,
    manifest: Manifest,
    options: ImportOptions,
    limits: GuardLimits,
) -> None:
    # One unit of work for the whole run (it commits the outcome at the end, or rolls back what is
    # not yet committed on an error); ``commit_now`` makes the job's progress visible on the way.
    async with unit_of_work(db) as session:
        await repo.update_job(session, job_id, {"state": "running", "started_at": utcnow()})
        await commit_now(session)
        try:
            parsed = await asyncio.to_thread(read_file_set, files, manifest)
        except (ManifestError, UnicodeDecodeError) as exc:
            await _finish(session, job_id, "failed", {}, str(exc))
            return
        snapshot = await repo.load_snapshot(session, district_id)
        plan = await asyncio.to_thread(_plan, parsed, manifest, snapshot)
        verdict = check_guard(plan, snapshot, limits)
        report = _report(manifest, parsed, plan, verdict)
        await repo.update_job(session, job_id, {"rows_total": plan.writes})
        await commit_now(session)
        if options.strict and plan.errors:
            error = f"{len(plan.errors)} row error(s) and strict mode: nothing was written."
            await _finish(session, job_id, "failed", report, error)
            return
        if verdict.tripped and not options.force:
            await _finish(session, job_id, "refused", report, verdict.message())
            return
        if options.dry_run:
            await _finish(session, job_id, "succeeded", report, None)
            return

        async def progress(s: AsyncSession, done: int) -> None:
            await repo.update_job(s, job_id, {"rows_done": done})

        await apply_plan(session, district_id, plan, snapshot, commit=True, progress=progress)
        await emit(
            session,
            "roster.imported",
            district_id,
            f"import/{job_id}",
            {
                "job_id": str(job_id),
                **{
                    kind: {k: v for k, v in summary.items() if k != "samples"}
                    for kind, summary in plan.diff().items()
                },
            },
        )
        await _finish(session, job_id, "succeeded", report, None)


def _plan(parsed: Parsed, manifest: Manifest, snapshot: Snapshot) -> Plan:
    return make_plan(
        parsed.records,
        manifest.modes,
        snapshot,
        grants=parsed.grants,
        errors=parsed.errors,
        failed=parsed.failed,
        failed_lines=parsed.failed_lines,
        skipped=parsed.skipped,
        other_orgs=parsed.other_orgs,
        today=utcnow().date(),
        new_id=new_id,
    )
