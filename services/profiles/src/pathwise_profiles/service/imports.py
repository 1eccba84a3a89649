"""OneRoster 1.2 CSV import jobs: start (upload or server folder), read.

A job is created in the request (the file set's manifest is checked there, so a wrong version or
a missing file is a 422 at once) and runs right after the response as a FastAPI background task
with its own unit of work (``import_run``). If the process dies mid-run, what was written is
consistent row by row and re-running the same file set finishes the work (imports are idempotent
by sourcedId).
"""

import asyncio
import functools
import hashlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.oneroster_csv import Manifest, ManifestError
from pathwise_profiles.domain.roster_guard import GuardLimits
from pathwise_profiles.repository import imports as repo
from pathwise_profiles.schemas.imports import ImportJobOut
from pathwise_profiles.service.import_run import ImportOptions, run_job
from pathwise_profiles.service.import_runner import this_runner
from pathwise_profiles.service.import_sources import (
    FileSet,
    FolderFileSet,
    ZipFileSet,
    folder_under,
    open_file_set,
)
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.idempotency import (
    IdempotentRequest,
    check_same_request,
    idempotent_request,
    stored_columns,
)
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, NotFound, PayloadTooLarge, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Accepted",
    "ImportOptions",
    "check_file_set",
    "get_job",
    "idempotency_key",
    "list_jobs",
    "replay",
    "start_folder_import",
    "start_job",
    "start_upload_import",
]

logger = logging.getLogger("pathwise.profiles.imports")


@dataclass(frozen=True)
class Accepted:
    """What a start request answers: the job, whether it is an earlier request's (a replay), and
    the work to run after the answer (None for a replay: nothing new runs)."""

    job: ImportJobOut
    replayed: bool
    run: Callable[[], Awaitable[None]] | None


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
        principal,
        header,
        method="POST",
        path=path,
        query="",
        body=(content, str(options.dry_run), str(options.strict), str(options.force)),
    )


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


def _save(upload: BinaryIO, target: Path, max_bytes: int) -> str:
    """Copy the upload to ``target`` a chunk at a time (the multipart parser has spooled it to a
    temporary file; it is never read whole into memory); its SHA-256 (what an Idempotency-Key
    retry must match)."""
    size = 0
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := upload.read(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"The zip is larger than {max_bytes} bytes.")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


async def start_upload_import(
    session: AsyncSession,
    db: Database,
    principal: Principal,
    upload: BinaryIO,
    *,
    path: str,
    idempotency_header: str | None,
    options: ImportOptions,
    limits: GuardLimits,
    max_bytes: int,
) -> Accepted:
    """Save an uploaded zip to a folder of its own, check its manifest and queue the job (or
    find the job of an earlier request with the same Idempotency-Key and zip). The folder is
    removed when the job ends, or at once when nothing runs. A zip over ``max_bytes`` is 413."""
    folder = Path(tempfile.mkdtemp(prefix="pathwise-import-"))
    try:
        digest = await asyncio.to_thread(_save, upload, folder / "upload.zip", max_bytes)
        key = idempotency_key(principal, idempotency_header, path, digest, options)
        earlier = await replay(session, principal, key)
        if earlier is not None:
            shutil.rmtree(folder, ignore_errors=True)
            return Accepted(earlier, replayed=True, run=None)
        try:
            files = ZipFileSet(folder / "upload.zip")
        except ManifestError as exc:
            raise UnprocessableContent(str(exc), slug="bad-file-set", field="file") from exc
        manifest = check_file_set(files)
        job = await start_job(session, principal, "upload", options, key)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    run = functools.partial(
        run_job, db, job.id, job.district_id, files, manifest, options, limits, folder
    )
    return Accepted(job, replayed=False, run=run)


async def start_folder_import(
    session: AsyncSession,
    db: Database,
    principal: Principal,
    import_root: str | None,
    folder_path: str,
    *,
    path: str,
    idempotency_header: str | None,
    options: ImportOptions,
    limits: GuardLimits,
) -> Accepted:
    """Queue a job for a folder below the operator-configured import root (Idempotency-Key and
    the one-import-per-district rule as for uploads)."""
    try:
        folder = folder_under(import_root, folder_path)
    except ManifestError as exc:
        raise UnprocessableContent(str(exc), slug="bad-folder", field="body.path") from exc
    key = idempotency_key(principal, idempotency_header, path, str(folder), options)
    earlier = await replay(session, principal, key)
    if earlier is not None:
        return Accepted(earlier, replayed=True, run=None)
    files = FolderFileSet(folder)
    manifest = check_file_set(files)
    job = await start_job(session, principal, "folder", options, key)
    run = functools.partial(run_job, db, job.id, job.district_id, files, manifest, options, limits)
    return Accepted(job, replayed=False, run=run)
