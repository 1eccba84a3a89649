"""OneRoster 1.2 CSV imports (``/v1/roster/imports``): start a job, read its progress and report."""

import asyncio
import hashlib
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, BackgroundTasks, Form, Header, Request, Response, status

from pathwise_profiles.domain.oneroster_csv import ManifestError
from pathwise_profiles.schemas.imports import FolderImport, ImportJobOut, ImportUpload
from pathwise_profiles.service import imports as svc
from pathwise_profiles.service.import_sources import FolderFileSet, ZipFileSet, folder_under
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.access import access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import REPLAYED_HEADER
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import PayloadTooLarge, UnprocessableContent

__all__ = ["router"]

router = APIRouter(prefix="/v1/roster/imports", tags=["roster imports"])

IMPORTERS = {"district_admin"}
WRITE = ("roster:write",)
READ = ("roster:read", "roster:write")
MAX_UPLOAD = 512 * 1024**2
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="a retry with the same key gets the first job"),
]


def _save(upload: BinaryIO, target: Path) -> str:
    """Copy the upload to ``target``; its SHA-256 (what an Idempotency-Key retry must match)."""
    size = 0
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := upload.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise PayloadTooLarge(f"The zip is larger than {MAX_UPLOAD} bytes.")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _replayed(response: Response) -> None:
    response.headers[REPLAYED_HEADER] = "true"


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    **access(roles=IMPORTERS, scopes=WRITE, action="write"),
)
async def upload_import(
    form: Annotated[ImportUpload, Form()],
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ImportJobOut:
    """Upload a zip (manifest.csv + OneRoster files); the job runs after the answer: poll it.
    A retry with the same ``Idempotency-Key`` and zip gets the first job back; 409 while another
    import of the district is queued or running."""
    options = svc.ImportOptions(dry_run=form.dry_run, strict=form.strict, force=form.force)
    folder = Path(tempfile.mkdtemp(prefix="pathwise-import-"))
    try:
        digest = await asyncio.to_thread(_save, form.file.file, folder / "upload.zip")
        key = svc.idempotency_key(principal, idempotency_key, request.url.path, digest, options)
        earlier = await svc.replay(session, principal, key)
        if earlier is not None:
            shutil.rmtree(folder, ignore_errors=True)
            _replayed(response)
            return earlier
        try:
            files = ZipFileSet(folder / "upload.zip")
        except ManifestError as exc:
            raise UnprocessableContent(str(exc), slug="bad-file-set", field="file") from exc
        manifest = svc.check_file_set(files)
        job = await svc.start_job(session, principal, "upload", options, key)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    settings: ProfilesSettings = request.app.state.settings
    background.add_task(
        svc.run_job, request.app.state.db, job.id, job.district_id, files, manifest, options,
        settings.import_max_change_share, folder,
    )  # fmt: skip
    return job


@router.post(
    "/folder",
    status_code=status.HTTP_202_ACCEPTED,
    # Operators only (the system principal): the folder is on the server.
    **access(action="write"),
)
async def folder_import(
    body: FolderImport,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ImportJobOut:
    """Import a folder below the operator-configured ``PROFILES_IMPORT_ROOT`` (Idempotency-Key
    and the one-import-per-district rule as for uploads)."""
    settings: ProfilesSettings = request.app.state.settings
    try:
        folder = folder_under(settings.import_root, body.path)
    except ManifestError as exc:
        raise UnprocessableContent(str(exc), slug="bad-folder", field="body.path") from exc
    options = svc.ImportOptions(dry_run=body.dry_run, strict=body.strict, force=body.force)
    key = svc.idempotency_key(principal, idempotency_key, request.url.path, str(folder), options)
    earlier = await svc.replay(session, principal, key)
    if earlier is not None:
        _replayed(response)
        return earlier
    files = FolderFileSet(folder)
    manifest = svc.check_file_set(files)
    job = await svc.start_job(session, principal, "folder", options, key)
    background.add_task(
        svc.run_job, request.app.state.db, job.id, job.district_id, files, manifest, options,
        settings.import_max_change_share,
    )  # fmt: skip
    return job


@router.get("", **access(roles=IMPORTERS, scopes=READ))
async def list_imports(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ImportJobOut]:
    """The district's import jobs, newest first."""
    return await svc.list_jobs(session, principal, limit, cursor)


@router.get("/{job_id}", **access(roles=IMPORTERS, scopes=READ))
async def get_import(
    job_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> ImportJobOut:
    """State, progress (``rows_done`` of ``rows_total``) and, when finished, the report."""
    return await svc.get_job(session, principal, job_id)
