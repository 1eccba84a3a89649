"""``/v1/learners/{learner_id}/deletions``: erase a learner's records in every service (the
right to deletion, docs/privacy.md "Deletion"). District administrators of the learner's
district only (another district's learner 404); the certificate stays readable at
``/v1/deletions/{deletion_id}`` once the learner's id is gone."""

import uuid
from typing import Annotated

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response

from pathwise_gateway.deletions import service
from pathwise_gateway.deletions.schemas import DeletionIn, DeletionJobOut
from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.proxy.api.deps import AuditLogDep
from pathwise_shared.app import DbSession
from pathwise_shared.problems import UnprocessableContent, problem_responses

__all__ = ["router"]

router = APIRouter(tags=["deletions"])

# Only a district administrator erases a learner: a guardian asks the district (FERPA leaves
# the decision to the school), and no integration ever does.
DELETERS = frozenset({"district_admin"})


async def _runner(request: Request) -> service.DeletionRunner:
    runner: service.DeletionRunner = request.app.state.deletions
    return runner


Runner = Annotated[service.DeletionRunner, Depends(_runner)]

_CREATE_RULE = gateway_access(roles=DELETERS, action="write", learner="learner_id")
_CREATE_RULE["responses"] = {**_CREATE_RULE["responses"], **problem_responses(409, 422)}


@router.post(
    "/v1/learners/{learner_id}/deletions",
    status_code=202,
    response_model=DeletionJobOut,
    summary="Erase a learner's records in every service (in the background)",
    operation_id="createLearnerDeletion",
    **_CREATE_RULE,
)
async def create_deletion(
    learner_id: uuid.UUID,
    body: DeletionIn,
    session: DbSession,
    principal: CallerPrincipal,
    runner: Runner,
    audit: AuditLogDep,
    background: BackgroundTasks,
    response: Response,
) -> DeletionJobOut:
    """202 with the job; poll ``/v1/deletions/{deletion_id}`` for its certificate. 409
    ``legal-hold-active`` while the learner is under a legal hold (nothing changed). Asking
    again while one is unfinished answers that one (a failed one is tried again by itself).
    The body names the learner again (``confirm_learner_id``); another id is 422
    ``deletion-not-confirmed``."""
    if body.confirm_learner_id != learner_id:
        raise UnprocessableContent(
            "confirm_learner_id is not the learner of the path: nothing was deleted.",
            slug="deletion-not-confirmed",
        )
    job, started = await service.create_job(session, runner, principal, learner_id)
    if started:
        # After the answer, so after the job's row is committed.
        background.add_task(runner.start, job["id"])
    path = f"/v1/learners/{learner_id}/deletions"
    audit.record(
        principal,
        operation="createLearnerDeletion",
        action="write",
        method="POST",
        path=path,
        status=202,
        request_id=correlation_id.get() or "",
        learner_id=learner_id,
    )
    response.headers["Location"] = f"/v1/deletions/{job['id']}"
    return DeletionJobOut.of(job)


_GET_RULE = gateway_access(roles=DELETERS)
_GET_RULE["responses"] = {**_GET_RULE["responses"], **problem_responses(404)}


@router.get(
    "/v1/deletions/{deletion_id}",
    response_model=DeletionJobOut,
    summary="A learner deletion: its state and, once done, its certificate",
    operation_id="getLearnerDeletion",
    **_GET_RULE,
)
async def get_deletion(
    deletion_id: uuid.UUID, session: DbSession, principal: CallerPrincipal
) -> DeletionJobOut:
    """A deletion of the caller's district (another district's, or none, 404)."""
    return DeletionJobOut.of(await service.get_job(session, principal, deletion_id))
