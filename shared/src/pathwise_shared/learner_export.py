"""``GET /internal/learners/{learner_id}/export`` (and its files), the same in every service.

Driven by the service's learner data map (``pathwise_shared.db.learner_data``): nothing here is
written per table. Only the system principal of a district calls it: the gateway's export job,
which checked the requester (a district administrator, or a guardian of the learner) when the
job was created and runs in the background as ``system:learner-export`` of that district. A
user's or client's token is refused (403) even when it reaches a service directly, and every row
read is in the principal's district.
"""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.db.learner_data import LearnerDataMap, export_learner, find_learner_file
from pathwise_shared.problems import Forbidden, NotFound, problem_responses
from pathwise_shared.storage import FileStore

__all__ = ["EXPORT_JOB", "learner_export_router"]

# The job name of the gateway's export principal (``system:<job>``).
EXPORT_JOB = "learner-export"


def _district_of(principal: Principal) -> uuid.UUID:
    if not principal.is_system or principal.district_id is None:
        raise Forbidden(
            "Only the export job of a district reads a learner's whole record.",
            slug="system-only",
        )
    return principal.district_id


def learner_export_router(
    data_map: LearnerDataMap, store: Callable[[Request], FileStore] | None = None
) -> APIRouter:
    """The export routes of one service; ``store`` finds its file store (none: no files)."""
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

    return router
