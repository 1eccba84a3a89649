"""OneRoster 1.2 CSV imports (``/v1/roster/imports``): start a job, read its progress and report."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Header, Request, Response, status

from pathwise_profiles.api.deps import Settings
from pathwise_profiles.schemas.imports import FolderImport, ImportJobOut, ImportUpload
from pathwise_profiles.service import imports as svc
from pathwise_shared.access import access
from pathwise_shared.app import DatabaseDep, DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import REPLAYED_HEADER
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page

__all__ = ["router"]

router = APIRouter(prefix="/v1/roster/imports", tags=["roster imports"])

IMPORTERS = {"district_admin"}
WRITE = ("roster:write",)
READ = ("roster:read", "roster:write")
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="a retry with the same key gets the first job"),
]


def _answer(
    accepted: svc.Accepted, response: Response, background: BackgroundTasks
) -> ImportJobOut:
    if accepted.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    if accepted.run is not None:
        background.add_task(accepted.run)
    return accepted.job


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    **access(roles=IMPORTERS, scopes=WRITE, action="write"),
)
async def upload_import(
    form: Annotated[ImportUpload, Form()],
    principal: CurrentPrincipal,
    session: DbSession,
    db: DatabaseDep,
    settings: Settings,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ImportJobOut:
    """Upload a zip (manifest.csv + OneRoster files); the job runs after the answer: poll it.
    A retry with the same ``Idempotency-Key`` and zip gets the first job back; 409 while another
    import of the district is queued or running."""
    accepted = await svc.start_upload_import(
        session,
        db,
        principal,
        form.file.file,
        path=request.url.path,
        idempotency_header=idempotency_key,
        options=svc.ImportOptions(dry_run=form.dry_run, strict=form.strict, force=form.force),
        limits=settings.import_guard_limits(),
        max_bytes=settings.import_max_upload_bytes,
    )
    return _answer(accepted, response, background)


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
    db: DatabaseDep,
    settings: Settings,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ImportJobOut:
    """Import a folder below the operator-configured ``PROFILES_IMPORT_ROOT`` (Idempotency-Key
    and the one-import-per-district rule as for uploads)."""
    accepted = await svc.start_folder_import(
        session,
        db,
        principal,
        settings.import_root,
        body.path,
        path=request.url.path,
        idempotency_header=idempotency_key,
        options=svc.ImportOptions(dry_run=body.dry_run, strict=body.strict, force=body.force),
        limits=settings.import_guard_limits(),
    )
    return _answer(accepted, response, background)


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
