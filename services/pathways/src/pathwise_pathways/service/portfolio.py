"""A learner's portfolio (docs/pathways.md, "Portfolio"): artifacts the learner adds, teachers'
feedback on them, and the files behind them.

Who may call what is decided at the gateway from the routes' declarations (the learner writes
their own portfolio; guardians, teachers and admins of the learner read; teachers and admins give
feedback). What only this service knows is applied here: a step must be one of the learner's
current pathway, a goal one of the learner's goals, and a guardian sees only what the learner
shared, when the district allows sharing at all.

Nothing half-written: a file is checked (type sniffed from its first bytes, size) before anything
is stored; it is then stored under a random key and its row and ``portfolio.item_added`` event
are written in one unit of work. If that unit of work fails, the file is deleted again.
"""

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain import portfolio as rules
from pathwise_pathways.models import PortfolioArtifact, PortfolioFeedback
from pathwise_pathways.repository import pathways as pathways_repo
from pathwise_pathways.repository import portfolio as repo
from pathwise_pathways.service.storage import FileStore
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.outbox import publish
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.events import new_event
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, idempotent_request
from pathwise_shared.problems import NotFound, UnprocessableContent

__all__ = [
    "ArtifactDraft",
    "Download",
    "Upload",
    "add_feedback",
    "create_artifact",
    "download",
    "get_artifact",
    "list_artifacts",
    "sees_everything",
    "update_artifact",
]

_VIEWERS_OF_ALL = ("student", "teacher", "school_admin", "district_admin")


@dataclass
class Upload:
    """The file part of a create: its spooled content (read from the start), size and the
    client's name (a display name only)."""

    source: BinaryIO
    size: int
    filename: str | None


@dataclass
class ArtifactDraft:
    kind: str
    title: str
    body: str | None = None
    url: str | None = None
    skill_codes: list[str] = field(default_factory=list)
    step_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    share_with_guardians: bool = False


@dataclass
class Download:
    media_type: str
    size: int
    filename: str
    chunks: AsyncIterator[bytes]


def subject(learner_id: uuid.UUID) -> str:
    """The events' subject: one writer (this service), so one sequence per learner's portfolio."""
    return f"learner/{learner_id}/portfolio"


def sees_everything(principal: Principal) -> bool:
    """A guardian alone sees only what is shared; the learner, staff, clients and our own jobs
    see every artifact the gateway let them reach."""
    if principal.kind != "user":
        return True
    return not principal.has_role("guardian") or principal.has_role(*_VIEWERS_OF_ALL)


def visible(principal: Principal, artifact: PortfolioArtifact, policy: str) -> bool:
    return sees_everything(principal) or rules.guardian_may_see(
        artifact.share_with_guardians, policy
    )


def _not_found() -> NotFound:
    return NotFound("This learner has no such artifact.", slug="artifact-not-found")


def _fingerprint(
    principal: Principal,
    header: str | None,
    path: str,
    draft: ArtifactDraft,
    file_digest: str,
) -> IdempotentRequest | None:
    """What the request asked, not its bytes: a retry with a new multipart boundary is the
    same request."""
    parts = (
        draft.kind,
        draft.title,
        draft.body or "",
        draft.url or "",
        ",".join(draft.skill_codes),
        str(draft.step_id or ""),
        str(draft.goal_id or ""),
        str(draft.share_with_guardians),
        file_digest,
    )
    return idempotent_request(principal, header, method="POST", path=path, query="", body=parts)


def _digest(upload: Upload | None) -> str:
    if upload is None:
        return ""
    digest = hashlib.sha256()
    upload.source.seek(0)
    while chunk := upload.source.read(256 * 1024):
        digest.update(chunk)
    upload.source.seek(0)
    return digest.hexdigest()


async def _step_skill(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, step_id: uuid.UUID
) -> str:
    pathway = await pathways_repo.get_pathway(session, district_id, learner_id)
    steps = await pathways_repo.steps_of(session, pathway.id) if pathway is not None else []
    for step in steps:
        if step.id == step_id:
            return step.skill_code
    raise UnprocessableContent(
        "This step is not one of the learner's current pathway.",
        slug="step-not-on-pathway",
        field="step_id",
    )


async def _check_goal(
    upstream: Upstream, principal: Principal, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> None:
    profile = await upstream.planning_profile(principal, learner_id)
    if str(goal_id) not in {str(g.get("id")) for g in profile.get("goals", [])}:
        raise UnprocessableContent(
            "This goal is not one of the learner's goals.", slug="unknown-goal", field="goal_id"
        )


async def create_artifact(
    db: Database,
    store: FileStore,
    upstream: Upstream,
    principal: Principal,
    learner_id: uuid.UUID,
    draft: ArtifactDraft,
    upload: Upload | None,
    *,
    policy: str,
    limits: dict[str, int],
    idempotency_header: str | None,
    path: str,
) -> tuple[PortfolioArtifact, bool]:
    """The new artifact (or, for a keyed retry, the one the first request made) and whether it
    is a replay. Every check runs before the file is stored."""
    district_id = principal.require_district()
    content = rules.check_content(
        draft.kind, body=draft.body, url=draft.url, has_file=upload is not None
    )
    if draft.share_with_guardians and policy == "never":
        raise UnprocessableContent(
            "Your district does not let portfolios be shared with guardians.",
            slug="guardian-sharing-off",
            field="share_with_guardians",
        )
    media_type = None
    if upload is not None:
        rules.check_size(upload.size, draft.kind, limits)
        head = upload.source.read(rules.SNIFF_BYTES)
        upload.source.seek(0)
        media_type = rules.sniff(head, draft.kind)
    idempotency = _fingerprint(principal, idempotency_header, path, draft, _digest(upload))

    step_skill = None
    async with unit_of_work(db, read_only=True) as session:
        if idempotency is not None:
            earlier = await repo.artifact_by_key(session, district_id, idempotency.key)
            if earlier is not None:
                check_same_request(earlier.request_hash, idempotency)
                return earlier, True
        if draft.step_id is not None:
            step_skill = await _step_skill(session, district_id, learner_id, draft.step_id)
    if draft.goal_id is not None:
        await _check_goal(upstream, principal, learner_id, draft.goal_id)

    key = rules.new_storage_key(str(learner_id)) if upload is not None else None
    if upload is not None and key is not None and media_type is not None:
        await store.put(key, upload.source, media_type)
    try:
        async with unit_of_work(db, write=True) as session:
            row = PortfolioArtifact(
                district_id=district_id,
                learner_id=learner_id,
                kind=draft.kind,
                title=draft.title,
                body=content.body,
                url=content.url,
                skill_codes=rules.skill_codes_in(draft.skill_codes),
                step_id=draft.step_id,
                step_skill_code=step_skill,
                goal_id=draft.goal_id,
                share_with_guardians=draft.share_with_guardians,
                storage_key=key,
                media_type=media_type,
                size_bytes=upload.size if upload is not None else None,
                filename=rules.safe_filename(upload.filename) if upload is not None else None,
                created_by=principal.subject[:200],
                idempotency_key=idempotency.key if idempotency else None,
                request_hash=idempotency.fingerprint if idempotency else None,
            )
            session.add(row)
            await session.flush()
            await publish(session, _item_added(row))
    except BaseException as exc:
        # The row is not there, so neither may the file be (a crash between the two leaves a
        # file no row names; the key is random, so it is never served, only swept).
        if key is not None:
            await store.delete(key)
        if isinstance(exc, IntegrityError) and idempotency is not None:
            # Two keyed requests at once: the other one's artifact is the answer.
            async with unit_of_work(db, read_only=True) as session:
                earlier = await repo.artifact_by_key(session, district_id, idempotency.key)
            if earlier is not None:
                check_same_request(earlier.request_hash, idempotency)
                return earlier, True
        raise
    return row, False


def _item_added(row: PortfolioArtifact) -> Any:
    return new_event(
        "portfolio.item_added",
        district_id=row.district_id,
        subject=subject(row.learner_id),
        data={
            "learner_id": str(row.learner_id),
            "artifact_id": str(row.id),
            "kind": row.kind,
            "step_id": str(row.step_id) if row.step_id else None,
            "goal_id": str(row.goal_id) if row.goal_id else None,
            "skill_codes": list(row.skill_codes),
        },
    )


async def list_artifacts(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    policy: str,
    limit: int,
    after: uuid.UUID | None,
) -> tuple[list[PortfolioArtifact], dict[uuid.UUID, list[PortfolioFeedback]]]:
    district_id = principal.require_district()
    everything = sees_everything(principal)
    if not everything and policy == "never":
        return [], {}
    rows = await repo.list_artifacts(
        session, district_id, learner_id, limit=limit, after=after, shared_only=not everything
    )
    return rows, await _feedback(session, district_id, rows[:limit])


async def _feedback(
    session: AsyncSession, district_id: uuid.UUID, rows: Sequence[PortfolioArtifact]
) -> dict[uuid.UUID, list[PortfolioFeedback]]:
    thread: dict[uuid.UUID, list[PortfolioFeedback]] = {r.id: [] for r in rows}
    for note in await repo.feedback_of(session, district_id, [r.id for r in rows]):
        thread[note.artifact_id].append(note)
    return thread


async def _visible_artifact(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    policy: str,
    *,
    lock: bool = False,
) -> PortfolioArtifact:
    row = await repo.get_artifact(
        session, principal.require_district(), learner_id, artifact_id, lock=lock
    )
    # Not shared with a guardian is not there for them: 404, as for an id that never existed.
    if row is None or not visible(principal, row, policy):
        raise _not_found()
    return row


async def get_artifact(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    *,
    policy: str,
) -> tuple[PortfolioArtifact, list[PortfolioFeedback]]:
    row = await _visible_artifact(session, principal, learner_id, artifact_id, policy)
    thread = await _feedback(session, row.district_id, [row])
    return row, thread[row.id]


async def update_artifact(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: str | None,
    *,
    policy: str,
) -> tuple[PortfolioArtifact, list[PortfolioFeedback]]:
    """The learner changes the title, the skills shown or whom it is shared with."""
    row = await _visible_artifact(session, principal, learner_id, artifact_id, policy, lock=True)
    rules.require_match(if_match, rules.artifact_etag(row.version))
    if changes.get("share_with_guardians") and policy == "never":
        raise UnprocessableContent(
            "Your district does not let portfolios be shared with guardians.",
            slug="guardian-sharing-off",
            field="share_with_guardians",
        )
    if "title" in changes:
        row.title = changes["title"]
    if "skill_codes" in changes:
        row.skill_codes = rules.skill_codes_in(changes["skill_codes"])
    if "share_with_guardians" in changes:
        row.share_with_guardians = bool(changes["share_with_guardians"])
    row.version += 1
    await session.flush()
    thread = await _feedback(session, row.district_id, [row])
    return row, thread[row.id]


async def add_feedback(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    body: str,
    *,
    policy: str,
) -> tuple[PortfolioArtifact, list[PortfolioFeedback]]:
    row = await _visible_artifact(session, principal, learner_id, artifact_id, policy)
    role = next(
        (r for r in ("teacher", "school_admin", "district_admin") if r in principal.roles), ""
    )
    note = PortfolioFeedback(
        artifact_id=row.id,
        district_id=row.district_id,
        author_id=principal.subject[:200],
        author_role=role or principal.kind,
        body=body,
    )
    session.add(note)
    await session.flush()
    await publish(
        session,
        new_event(
            "portfolio.feedback_added",
            district_id=row.district_id,
            subject=subject(row.learner_id),
            data={
                "learner_id": str(row.learner_id),
                "artifact_id": str(row.id),
                "feedback_id": str(note.id),
            },
        ),
    )
    thread = await _feedback(session, row.district_id, [row])
    return row, thread[row.id]


async def download(
    session: AsyncSession,
    store: FileStore,
    principal: Principal,
    learner_id: uuid.UUID,
    artifact_id: uuid.UUID,
    *,
    policy: str,
) -> Download:
    row = await _visible_artifact(session, principal, learner_id, artifact_id, policy)
    if row.storage_key is None or row.media_type is None:
        raise NotFound("This artifact has no file.", slug="artifact-file-not-found")
    chunks = store.get(row.storage_key)
    try:
        first = await anext(chunks)
    except (FileNotFoundError, StopAsyncIteration) as exc:
        raise NotFound("This artifact's file is missing.", slug="artifact-file-not-found") from exc

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return Download(row.media_type, row.size_bytes or 0, row.filename or "artifact", rest())
