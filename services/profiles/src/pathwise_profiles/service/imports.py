"""OneRoster 1.2 CSV import jobs: start, run (after the response, with progress), read.

A job is created in the request (the file set's manifest is checked there, so a wrong version or
a missing file is a 422 at once) and runs right after the response as a FastAPI background task
with its own sessions. It reads and plans everything first; writes nothing if ``dry_run``, if
``strict`` and any row failed, or if the mass-change guard trips without ``force``; otherwise it
writes the plan in chunks, committing each chunk with the job's progress, so readers of the job
see ``rows_done`` move. If the process dies mid-run, what was written is consistent row by row and
re-running the same file set finishes the work (imports are idempotent by sourcedId).
"""

import asyncio
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_csv import Manifest, ManifestError
from pathwise_profiles.domain.roster_plan import Plan, Snapshot, guard_share, make_plan
from pathwise_profiles.repository import imports as repo
from pathwise_profiles.schemas.imports import ImportJobOut
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.gc_pause import gc_paused
from pathwise_profiles.service.import_runner import this_runner
from pathwise_profiles.service.import_sources import FileSet, open_file_set
from pathwise_profiles.service.roster_apply import Parsed, apply_plan, read_file_set
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import commit_now, unit_of_work
from pathwise_shared.idempotency import (
    IdempotentRequest,
    check_same_request,
    idempotent_request,
    stored_columns,
)
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "ImportOptions",
    "check_file_set",
    "get_job",
    "idempotency_key",
    "list_jobs",
    "replay",
    "run_job",
    "start_job",
]

logger = logging.getLogger("pathwise.profiles.imports")
MAX_ERRORS_REPORTED = 1_000


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    strict: bool = False
    force: bool = False


def _job_out(row: RowMapping | dict[str, Any]) -> ImportJobOut:
    return ImportJobOut.model_validate(dict(row))


def check_file_set(files: FileSet) -> Manifest:
    try:
        return open_file_set(files)
    except ManifestError as exc:
        raise UnprocessableContent(str(exc), slug="bad-file-set", field="file") from exc


def idempotency_key(
    principal: Principal, header: str | None, path: str, content: str, options: ImportOptions
) -> IdempotentRequest | None:
    """The caller-scoped key and the request's fingerprint (``pathwise_shared.idempotency``).
    ``content`` identifies the file set (the zip's SHA-256, not the multipart body: a client's
    retry may pick a new boundary, and the same zip with the same options is the same request)."""
    return idempotent_request(
        principal, header, method="POST", path=path, query="",
        body=(content, str(options.dry_run), str(options.strict), str(options.force)),
    )  # fmt: skip


async def replay(
    session: AsyncSession, principal: Principal, idempotency: IdempotentRequest | None
) -> ImportJobOut | None:
    """The job an earlier request with this key started (a retry gets it, nothing new runs);
    422 when the key was used for other files or options."""
    if idempotency is None:
        return None
    row = await repo.job_by_key(
        session, principal.require_district(), _created_by(principal), idempotency.key
    )
    if row is None:
        return None
    check_same_request(row["request_hash"], idempotency)
    return _job_out(row)


def _created_by(principal: Principal) -> str:
    return principal.subject[:200]


async def _refuse_if_running(session: AsyncSession, district_id: uuid.UUID) -> None:
    running = await repo.active_job(session, district_id)
    if running is not None:
        raise Conflict(
            f"Import {running['id']} of your district is still {running['state']}; wait for it "
            f"to finish (GET /v1/roster/imports/{running['id']}), then send this one again.",
            slug="import-running",
            job_id=str(running["id"]),
        )


async def start_job(
    session: AsyncSession,
    principal: Principal,
    source: str,
    options: ImportOptions,
    idempotency: IdempotentRequest | None = None,
) -> ImportJobOut:
    """A new queued job; 409 while another import of the district is queued or running: two
    would diff against the same snapshot and the second would write duplicates or fail."""
    district_id = principal.require_district()
    await _refuse_if_running(session, district_id)
    values = {
        "id": new_id(),
        "district_id": district_id,
        "state": "queued",
        "source": source,
        "dry_run": options.dry_run,
        "strict": options.strict,
        "force": options.force,
        "rows_done": 0,
        "rows_total": 0,
        "report": None,
        "error": None,
        "created_by": _created_by(principal),
        "created_at": utcnow(),
        "started_at": None,
        "finished_at": None,
        "runner": this_runner(),
        **stored_columns(idempotency),
    }
    try:
        async with session.begin_nested():
            await repo.insert_job(session, values)
    except IntegrityError as exc:
        # Lost a race the checks above could not see (the other request not yet committed).
        raise Conflict(
            "Another import of your district (or a retry with this Idempotency-Key) started at "
            "the same moment; list the imports to find it.",
            slug="import-running",
        ) from exc
    return _job_out(values)


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> ImportJobOut:
    row = await repo.get_job(session, job_id, principal.require_district())
    if row is None:
        raise NotFound("No such import job in your district.", slug="import-not-found")
    return _job_out(row)


async def list_jobs(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> Page[ImportJobOut]:
    after = decode_id_cursor(cursor)
    rows = await repo.list_jobs(session, principal.require_district(), after, limit)
    return page_of(rows, limit, lambda r: [r["id"]], _job_out)


def _report(
    manifest: Manifest, parsed: Parsed, plan: Plan, share: float, limit: float
) -> dict[str, Any]:
    return {
        "oneroster_version": manifest.version,
        "mapped_from": manifest.mapped_from,
        "modes": {name: mode for name, mode in manifest.modes.items() if mode != "absent"},
        "notes": manifest.notes,
        "rows_read": parsed.rows,
        "rows_skipped": plan.skipped,
        "ignored_columns": parsed.ignored_columns,
        "diff": plan.diff(),
        "error_count": len(plan.errors),
        "errors": [e.as_dict() for e in plan.errors[:MAX_ERRORS_REPORTED]],
        "guard": {"changed_share": round(share, 4), "max_share": limit},
    }


async def run_job(
    db: Database,
    job_id: uuid.UUID,
    district_id: uuid.UUID,
    files: FileSet,
    manifest: Manifest,
    options: ImportOptions,
    max_share: float,
    cleanup: Path | None = None,
) -> None:
    """The job itself (a background task): never raises; the job row says how it ended."""
    try:
        with gc_paused():
            await _run(db, job_id, district_id, files, manifest, options, max_share)
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
    max_share: float,
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
        share = guard_share(plan, snapshot)
        report = _report(manifest, parsed, plan, share, max_share)
        await repo.update_job(session, job_id, {"rows_total": plan.writes})
        await commit_now(session)
        if options.strict and plan.errors:
            error = f"{len(plan.errors)} row error(s) and strict mode: nothing was written."
            await _finish(session, job_id, "failed", report, error)
            return
        if share > max_share and not options.force:
            error = (
                f"This run would change or delete {share:.0%} of your district's roster "
                f"(more than {max_share:.0%}); nothing was written. Check the diff, then send "
                "force=true to apply it."
            )
            await _finish(session, job_id, "refused", report, error)
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
        skipped=parsed.skipped,
        other_orgs=parsed.other_orgs,
        new_id=new_id,
    )
