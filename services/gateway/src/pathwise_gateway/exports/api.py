"""``/v1/learners/{learner_id}/exports``: a copy of all of a learner's records (the right to
inspect, docs/privacy.md). A district administrator of the learner's district, or a guardian of
the learner; anyone else 403 (another district's learner 404), before anything is written."""

import uuid
from typing import Annotated

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.responses import StreamingResponse

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.exports import service
from pathwise_gateway.exports.schemas import ExportJobOut
from pathwise_gateway.proxy.api.deps import AuditLogDep
from pathwise_shared.app import DbSession
from pathwise_shared.auth import Principal
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["exports"])

# Who may ask: the learner's district administrators, and the learner's own guardians (the
# relation is profiles' access check, as for every learner route). No client scope: an
# integration never takes a child's whole record.
EXPORTERS = frozenset({"district_admin", "guardian"})


async def _runner(request: Request) -> service.ExportRunner:
    runner: service.ExportRunner = request.app.state.exports
    return runner


Runner = Annotated[service.ExportRunner, Depends(_runner)]


def _audit(
    audit: AuditLogDep,
    principal: Principal,
    operation: str,
    method: str,
    path: str,
    status: int,
    learner_id: uuid.UUID,
) -> None:
    audit.record(
        principal,
        operation=operation,
        action="read",
        method=method,
        path=path,
        status=status,
        request_id=correlation_id.get() or "",
        learner_id=learner_id,
    )


@router.post(
    "/v1/learners/{learner_id}/exports",
    status_code=202,
    response_model=ExportJobOut,
    summary="Ask for a copy of all of a learner's records (a zip, made in the background)",
    operation_id="createLearnerExport",
    **gateway_access(roles=EXPORTERS, learner="learner_id"),
)
async def create_export(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
    runner: Runner,
    audit: AuditLogDep,
    background: BackgroundTasks,
    response: Response,
) -> ExportJobOut:
    """202 with the job; poll it, then download the zip: ``manifest.json`` (counts and a sha256
    per file), ``<service>/<table>.json`` (and ``.csv`` for flat tables), ``files/…`` (portfolio
    files, message attachments) and ``access_log.json`` (who viewed or changed the records)."""
    job, created = await service.create_job(session, principal, learner_id)
    if created:
        # After the answer, so after the job's row is committed; a process that dies before
        # then leaves the job queued under its runner, and the next start takes it over.
        background.add_task(runner.start, job["id"])
    path = f"/v1/learners/{learner_id}/exports"
    _audit(audit, principal, "createLearnerExport", "POST", path, 202, learner_id)
    response.headers["Location"] = f"{path}/{job['id']}"
    return ExportJobOut.of(job)


@router.get(
    "/v1/learners/{learner_id}/exports/{export_id}",
    response_model=ExportJobOut,
    summary="An export of a learner's records: its state",
    operation_id="getLearnerExport",
    **gateway_access(roles=EXPORTERS, learner="learner_id"),
)
async def get_export(
    learner_id: uuid.UUID,
    export_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
) -> ExportJobOut:
    """To the one who asked for it, or a district administrator (anyone else 404)."""
    return ExportJobOut.of(await service.get_job(session, principal, learner_id, export_id))


_DOWNLOAD_RULE = gateway_access(roles=EXPORTERS, learner="learner_id")
_DOWNLOAD_RULE["responses"] = {
    **_DOWNLOAD_RULE["responses"],
    **problem_responses(409),
    200: {"description": "The zip", "content": {"application/zip": {}}},
}


@router.get(
    "/v1/learners/{learner_id}/exports/{export_id}/download",
    response_class=StreamingResponse,
    summary="Download an export of a learner's records (a zip)",
    operation_id="downloadLearnerExport",
    **_DOWNLOAD_RULE,
)
async def download_export(
    learner_id: uuid.UUID,
    export_id: uuid.UUID,
    session: DbSession,
    principal: CallerPrincipal,
    runner: Runner,
    audit: AuditLogDep,
) -> StreamingResponse:
    """409 while it is not ready (queued, running, failed or expired)."""
    job, chunks = await service.download(session, runner, principal, learner_id, export_id)
    path = f"/v1/learners/{learner_id}/exports/{export_id}/download"
    _audit(audit, principal, "downloadLearnerExport", "GET", path, 200, learner_id)
    name = f"learner-{learner_id}-export.zip"
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(job["size_bytes"]),
            "X-Content-Type-Options": "nosniff",
        },
    )
