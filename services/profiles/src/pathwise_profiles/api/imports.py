"""OneRoster 1.2 CSV imports (``/v1/roster/imports``): start a job, read its progress and report."""

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, BackgroundTasks, Form, Request, status

from pathwise_profiles.domain.oneroster_csv import ManifestError
from pathwise_profiles.schemas.imports import FolderImport, ImportJobOut, ImportUpload
from pathwise_profiles.service import imports as svc
from pathwise_profiles.service.import_sources import FolderFileSet, ZipFileSet, folder_under
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.access import access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import PayloadTooLarge, UnprocessableContent

__all__ = ["router"]

router = APIRouter(prefix="/v1/roster/imports", tags=["roster imports"])

IMPORTERS = {"district_admin"}
WRITE = ("roster:write",)
READ = ("roster:read", "roster:write")
MAX_UPLOAD = 512 * 1024**2


def _save(upload: BinaryIO, target: Path) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := upload.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise PayloadTooLarge(f"The zip is larger than {MAX_UPLOAD} bytes.")
            out.write(chunk)
    return size


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
    background: BackgroundTasks,
) -> ImportJobOut:
    """Upload a zip (manifest.csv + OneRoster files); the job runs after the answer: poll it."""
    folder = Path(tempfile.mkdtemp(prefix="pathwise-import-"))
    try:
        await asyncio.to_thread(_save, form.file.file, folder / "upload.zip")
        try:
            files = ZipFileSet(folder / "upload.zip")
        except ManifestError as exc:
            raise UnprocessableContent(str(exc), slug="bad-file-set", field="file") from exc
        manifest = svc.check_file_set(files)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    options = svc.ImportOptions(dry_run=form.dry_run, strict=form.strict, force=form.force)
    job = await svc.start_job(session, principal, "upload", options)
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
    background: BackgroundTasks,
) -> ImportJobOut:
    """Import a folder below the operator-configured ``PROFILES_IMPORT_ROOT``."""
    settings: ProfilesSettings = request.app.state.settings
    try:
        files = FolderFileSet(folder_under(settings.import_root, body.path))
    except ManifestError as exc:
        raise UnprocessableContent(str(exc), slug="bad-folder", field="body.path") from exc
    manifest = svc.check_file_set(files)
    options = svc.ImportOptions(dry_run=body.dry_run, strict=body.strict, force=body.force)
    job = await svc.start_job(session, principal, "folder", options)
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
