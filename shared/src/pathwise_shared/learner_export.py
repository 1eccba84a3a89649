"""``GET /internal/learners/{learner_id}/export`` (and its files) and
``POST /internal/learners/{learner_id}/erase``, the same in every service.

Driven by the service's learner data map (``pathwise_shared.db.learner_data``): nothing here is
written per table. Only the system principal of a district calls it: the gateway's export job,
which checked the requester (a district administrator, or a guardian of the learner) when the
job was created and runs in the background as ``system:learner-export`` of that district. A
user's or client's token is refused (403) even when it reaches a service directly, and every row
read is in the principal's district.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.db.learner_data import (
    LearnerDataMap,
    erase_learner,
    export_learner,
    find_learner_file,
)
from pathwise_shared.problems import Forbidden, NotFound, ServiceUnavailable, problem_responses
from pathwise_shared.storage import FileStore

__all__ = ["DELETION_JOB", "EXPORT_JOB", "EraseGuard", "learner_export_router"]

logger = logging.getLogger("pathwise.learner_data")

# The job names of the gateway's export and deletion principals (``system:<job>``).
EXPORT_JOB = "learner-export"
DELETION_JOB = "learner-deletion"

# A service's own refusal of an erase (profiles: a legal hold, 409 ``legal-hold-active``), asked
# in the erase's transaction right before anything changes: (session, district, learner).
EraseGuard = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]


def _district_of(principal: Principal) -> uuid.UUID:
    if not principal.is_system or principal.district_id is None:
        raise Forbidden(
            "Only the export job of a district reads a learner's whole record.",
            slug="system-only",
        )
    return principal.district_id


def _deletion_district_of(principal: Principal) -> uuid.UUID:
    """Only the deletion job erases (not the export job, nor any other system caller)."""
    district = _district_of(principal)
    if principal.subject != f"system:{DELETION_JOB}":
        raise Forbidden("Only the deletion job of a district erases a learner.", slug="system-only")
    return district


def learner_export_router(
    data_map: LearnerDataMap,
    store: Callable[[Request], FileStore] | None = None,
    guard: EraseGuard | None = None,
    known: EraseGuard | None = None,
) -> APIRouter:
    """The export and erase routes of one service; ``store`` finds its file store (none: no
    files); ``guard`` may refuse an erase (it raises a problem); ``known`` raises a 404 for a
    learner the service does not know (the roster's owner: a deletion of no one is refused)."""
    router = APIRouter(prefix="/internal", tags=["internal"])

    @router.get(
        "/learners/{learner_id}/export",
        responses=problem_responses(401, 403),
        operation_id=f"exportLearner_{data_map.service}",
    )
    async def export(
        learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """Every row of every table the map declares as holding the learner's data, one entry
        per table, and the files those rows hold (storage keys; fetch each with ``/file``)."""
        return await export_learner(session, data_map, learner_id, _district_of(principal))

    @router.get(
        "/learners/{learner_id}/export/file",
        response_class=StreamingResponse,
        responses=problem_responses(401, 403, 404),
        operation_id=f"exportLearnerFile_{data_map.service}",
    )
    async def export_file(
        learner_id: uuid.UUID,
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        table: str = Query(max_length=100),
        key: str = Query(max_length=500),
    ) -> StreamingResponse:
        """One file the export listed; any other key (another learner's, another district's,
        one made up) is 404."""
        district = _district_of(principal)
        found = store is not None and await find_learner_file(
            session, data_map, learner_id, district, table, key
        )
        if not found or store is None:
            raise NotFound("No such file of this learner.", slug="not-found")
        chunks = store(request).get(key)
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = b""
        except FileNotFoundError as exc:
            raise NotFound("The file is listed but missing from the store.") from exc

        async def body() -> Any:
            yield first
            async for chunk in chunks:
                yield chunk

        return StreamingResponse(body(), media_type="application/octet-stream")

    @router.post(
        "/learners/{learner_id}/erase/check",
        status_code=204,
        responses=problem_responses(401, 403, 404, 409),
        operation_id=f"checkEraseLearner_{data_map.service}",
    )
    async def check_erase(
        learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
    ) -> Response:
        """204 when this service would erase the learner now; its refusal (a problem) if not.
        Changes nothing: the deletion job asks before it is accepted."""
        district = _deletion_district_of(principal)
        if known is not None:
            await known(session, district, learner_id)
        if guard is not None:
            await guard(session, district, learner_id)
        return Response(status_code=204)

    @router.post(
        "/learners/{learner_id}/erase",
        responses=problem_responses(401, 403, 409, 503),
        operation_id=f"eraseLearner_{data_map.service}",
    )
    async def erase(
        learner_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """Delete every row of the learner in this service (and the files they hold), and
        pseudonymize the rows where the learner is only the author, in one transaction (the
        request's): all or nothing. Idempotent: a second call answers zero counts."""
        district = _deletion_district_of(principal)
        if guard is not None:
            await guard(session, district, learner_id)
        file_store = store(request) if store is not None else None

        async def delete_file(key: str) -> None:
            if file_store is None:
                return
            try:
                await file_store.delete(key)
            except Exception as exc:
                # The transaction rolls back: the next call finds the rows and tries again.
                logger.exception("erase of learner %s: deleting file %s failed", learner_id, key)
                raise ServiceUnavailable(
                    "The file store did not delete a file of the learner; nothing was erased.",
                    headers={"Retry-After": "30"},
                ) from exc

        erasure = await erase_learner(session, data_map, learner_id, district, delete_file)
        return erasure.as_json()

    return router
