"""``/v1/learners/{learner_id}/portfolio``: the learner's own artifacts, teachers' feedback, and
their files served as downloads (docs/pathways.md, "Portfolio")."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Header, Request, Response, status
from fastapi.responses import StreamingResponse

from pathwise_pathways.api.deps import DatabaseDep, UpstreamDep
from pathwise_pathways.domain.portfolio import artifact_etag
from pathwise_pathways.models import PortfolioArtifact, PortfolioFeedback
from pathwise_pathways.schemas.portfolio import (
    ArtifactCreate,
    ArtifactOut,
    ArtifactPatch,
    FeedbackIn,
    FeedbackOut,
    FileOut,
)
from pathwise_pathways.service import portfolio as service
from pathwise_pathways.service.storage import FileStore
from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.files import download_headers
from pathwise_shared.idempotency import HEADER, REPLAYED_HEADER
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of
from pathwise_shared.problems import problem_responses

__all__ = ["UPLOAD_PATH", "router"]

UPLOAD_PATH = "/v1/learners/{learner_id}/portfolio"
router = APIRouter(prefix=UPLOAD_PATH, tags=["portfolio"])


def _rule(
    roles: frozenset[str],
    action: Literal["read", "write"],
    *errors: int,
    extra: dict[int | str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    scopes = {"pathways:read", "pathways:write"} if action == "read" else set()
    rule = access(roles=roles, scopes=scopes, action=action, learner="learner_id")
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors), **(extra or {})}
    return rule


async def _store(request: Request) -> FileStore:
    store: FileStore = request.app.state.portfolio_store
    return store


async def _settings(request: Request) -> PathwaysSettings:
    settings: PathwaysSettings = request.app.state.settings
    return settings


Store = Annotated[FileStore, Depends(_store)]
Settings = Annotated[PathwaysSettings, Depends(_settings)]
IfMatch = Annotated[
    str | None, Header(max_length=200, description="the ETag of the version you edit")
]


def _out(row: PortfolioArtifact, feedback: list[PortfolioFeedback]) -> ArtifactOut:
    file = None
    if row.storage_key is not None and row.media_type is not None:
        file = FileOut(
            media_type=row.media_type,
            size_bytes=row.size_bytes or 0,
            filename=row.filename or "artifact",
            download=f"/v1/learners/{row.learner_id}/portfolio/{row.id}/file",
        )
    return ArtifactOut(
        id=row.id,
        learner_id=row.learner_id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        url=row.url,
        skill_codes=list(row.skill_codes),
        step_id=row.step_id,
        step_skill_code=row.step_skill_code,
        goal_id=row.goal_id,
        share_with_guardians=row.share_with_guardians,
        file=file,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        etag=artifact_etag(row.version),
        feedback=[FeedbackOut.model_validate(f, from_attributes=True) for f in feedback],
    )


@router.post(
    "",
    response_model=ArtifactOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(frozenset({"student"}), "write", 413, 415, 422),
)
async def add_artifact(
    learner_id: uuid.UUID,
    form: Annotated[ArtifactCreate, Form()],
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    store: Store,
    settings: Settings,
    upstream: UpstreamDep,
    idempotency_key: Annotated[str | None, Header(alias=HEADER, max_length=200)] = None,
) -> ArtifactOut:
    """The learner adds to their own portfolio (multipart). A file's type is read from its
    content (415 when it is not one accepted for the kind), its size checked per kind (413);
    a step must be on the learner's current pathway, a goal one of theirs (422)."""
    upload = None
    if form.file is not None:
        form.file.file.seek(0, 2)
        size = form.file.file.tell()
        form.file.file.seek(0)
        upload = service.Upload(form.file.file, size, form.file.filename)
    draft = service.ArtifactDraft(
        kind=form.kind,
        title=form.title,
        body=form.body,
        url=form.url,
        skill_codes=list(form.skill_codes),
        step_id=form.step_id,
        goal_id=form.goal_id,
        share_with_guardians=form.share_with_guardians,
    )
    row, replayed = await service.create_artifact(
        db,
        store,
        upstream,
        principal,
        learner_id,
        draft,
        upload,
        policy=settings.portfolio_guardian_sharing,
        limits=settings.portfolio_limits(),
        idempotency_header=idempotency_key,
        path=request.url.path,
    )
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAYED_HEADER] = "true"
    response.headers["ETag"] = artifact_etag(row.version)
    return _out(row, [])


@router.get("", response_model=Page[ArtifactOut], **_rule(ALL_USERS, "read"))
async def list_artifacts(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[ArtifactOut]:
    """Oldest first. A guardian sees only what the learner shared (none when the district's
    policy is ``never``)."""
    rows, feedback = await service.list_artifacts(
        session,
        principal,
        learner_id,
        policy=settings.portfolio_guardian_sharing,
        limit=limit,
        after=decode_id_cursor(cursor),
    )
    return page_of(rows, limit, lambda r: (r.id,), lambda r: _out(r, feedback.get(r.id, [])))


@router.get("/{artifact_id}", response_model=ArtifactOut, **_rule(ALL_USERS, "read", 404))
async def get_artifact(
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    response: Response,
) -> ArtifactOut:
    row, feedback = await service.get_artifact(
        session, principal, learner_id, artifact_id, policy=settings.portfolio_guardian_sharing
    )
    response.headers["ETag"] = artifact_etag(row.version)
    return _out(row, feedback)


@router.patch(
    "/{artifact_id}",
    response_model=ArtifactOut,
    **_rule(frozenset({"student"}), "write", 404, 412, 422, 428),
)
async def update_artifact(
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    body: ArtifactPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    response: Response,
    if_match: IfMatch = None,
) -> ArtifactOut:
    """The learner changes the title, the skills shown or whether guardians see it; needs
    ``If-Match`` (428 without, 412 when stale)."""
    row, feedback = await service.update_artifact(
        session,
        principal,
        learner_id,
        artifact_id,
        body.model_dump(exclude_unset=True, exclude_none=True),
        if_match,
        policy=settings.portfolio_guardian_sharing,
    )
    response.headers["ETag"] = artifact_etag(row.version)
    return _out(row, feedback)


@router.post(
    "/{artifact_id}/feedback",
    response_model=ArtifactOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(STAFF, "write", 404),
)
async def add_feedback(
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    body: FeedbackIn,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
) -> ArtifactOut:
    """A teacher of the learner (or an admin) adds to the artifact's feedback thread."""
    row, feedback = await service.add_feedback(
        session,
        principal,
        learner_id,
        artifact_id,
        body.body,
        policy=settings.portfolio_guardian_sharing,
    )
    return _out(row, feedback)


@router.get(
    "/{artifact_id}/file",
    response_class=StreamingResponse,
    **_rule(ALL_USERS, "read", 404, extra={200: {"content": {"application/octet-stream": {}}}}),
)
async def download_file(
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    store: Store,
) -> StreamingResponse:
    """The file, always as an attachment of the type read from its content: never rendered
    inline, never sniffed by the browser, sandboxed if it is opened anyway."""
    found = await service.download(
        session,
        store,
        principal,
        learner_id,
        artifact_id,
        policy=settings.portfolio_guardian_sharing,
    )
    return StreamingResponse(
        found.chunks,
        media_type=found.media_type,
        headers=download_headers(found.filename, found.size),
    )
