"""``/v1/learners/{learner_id}/threads``: messages about a learner between their teachers,
guardians and school administrators (and the learner, when the district allows), with read
receipts and attachments; a district administrator reads them to moderate (docs/profiles.md,
"Messages").

Writing (a new thread, a message, a read receipt) is the ``message`` action: the gateway lets
through only a person related to the learner, never a district administrator by that role alone
or an integration client. Reading is the ``read`` action; the service then shows a thread to its
participants and the district's administrators only.
"""

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import StreamingResponse
from starlette.middleware import Middleware

from pathwise_profiles.api.deps import Settings
from pathwise_profiles.domain.messages import ATTACHMENT_KINDS
from pathwise_profiles.schemas.messages import (
    MessageCreate,
    MessageOut,
    ReadIn,
    ReadOut,
    ThreadCreate,
    ThreadOut,
    ThreadSummary,
)
from pathwise_profiles.service import messages as service
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.access import ALL_USERS, access
from pathwise_shared.app import DatabaseDep, DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.body_limit import BodyLimitMiddleware
from pathwise_shared.files import download_headers
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page
from pathwise_shared.problems import problem_responses
from pathwise_shared.storage import FileStore, LocalFileStore, S3FileStore, make_store

__all__ = [
    "MULTIPART_ALLOWANCE",
    "make_message_store",
    "me_router",
    "message_upload_limit",
    "router",
]

router = APIRouter(prefix="/v1/learners/{learner_id}/threads", tags=["messages"])
# The caller's own threads across learners (``/v1/me/threads``): no path names anyone.
me_router = APIRouter(prefix="/v1/me", tags=["messages"])

# Who writes in threads: people related to the learner. A district administrator reads all of
# their district's threads (moderation) and writes in none.
WRITERS = ALL_USERS - {"district_admin"}


def _rule(
    roles: frozenset[str], action: Literal["read", "message"], *errors: int
) -> dict[str, Any]:
    rule = access(roles=roles, action=action, learner="learner_id")
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors)}
    return rule


def _own_rule(*errors: int) -> dict[str, Any]:
    """A route over the caller's own things: every signed-in user, no object named."""
    rule = access(roles=ALL_USERS)
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors)}
    return rule


async def _store(request: Request) -> FileStore:
    store: FileStore = request.app.state.message_store
    return store


Store = Annotated[FileStore, Depends(_store)]


def make_message_store(settings: ProfilesSettings) -> LocalFileStore | S3FileStore:
    return make_store(
        settings.storage_backend,
        directory=settings.storage_dir,
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key.get_secret_value(),
        region=settings.s3_region,
        env_prefix="PROFILES_",
    )


# The form around the file: boundaries, part headers and a 4,000-character body.
MULTIPART_ALLOWANCE = 64 * 1024
_POST = re.compile(r"/v1/learners/[^/]+/threads/[^/]+/messages")


def message_upload_limit(settings: ProfilesSettings) -> Middleware:
    """A message with an attachment is spooled before the route runs: past the largest
    attachment (plus the form) it is refused at once (413), before the disk is written."""
    largest = max(settings.attachment_limits()[k] for k in ATTACHMENT_KINDS)
    limit = largest + MULTIPART_ALLOWANCE

    def limit_for(method: str, path: str) -> int | None:
        return limit if method == "POST" and _POST.fullmatch(path) else None

    def describe(_limit: int) -> str:
        return (
            f"The request body is larger than {limit} bytes (the largest attachment may be "
            f"{largest} bytes); nothing was kept."
        )

    return Middleware(BodyLimitMiddleware, limit_for=limit_for, describe=describe)


@router.post(
    "",
    response_model=ThreadOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(WRITERS, "message", 403, 422),
)
async def create_thread(
    learner_id: uuid.UUID,
    body: ThreadCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
) -> ThreadOut:
    """A new thread about the learner, with its first message. Every participant must be
    related to the learner (422 ``participant-not-related`` names those who are not; nothing is
    written); the learner takes part only when the district allows it."""
    return await service.create_thread(
        session, principal, learner_id, body, learner_allowed=settings.learner_in_threads
    )


@router.get("", response_model=Page[ThreadSummary], **_rule(ALL_USERS, "read"))
async def list_threads(
    learner_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ThreadSummary]:
    """Your threads about the learner, oldest first, with your unread count; a district
    administrator sees every thread about the learner (moderation, read only)."""
    return await service.list_threads(
        session,
        principal,
        learner_id,
        learner_allowed=settings.learner_in_threads,
        limit=limit,
        cursor=cursor,
    )


@me_router.get(
    "/threads",
    response_model=Page[ThreadSummary],
    **_own_rule(400),
)
async def my_threads(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ThreadSummary]:
    """Your threads about all the learners you take part about, the one with the newest message
    first, with your unread count in each. Only the threads whose learner you are still related
    to (teach, guard, administer their school): a relation that ended hides the thread."""
    return await service.my_threads(
        session,
        principal,
        learner_allowed=settings.learner_in_threads,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{thread_id}", response_model=ThreadOut, **_rule(ALL_USERS, "read", 404))
async def get_thread(
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
) -> ThreadOut:
    """The thread, each participant's read receipt (who has read up to which message) and its
    first messages. Seen by its participants and the district's administrators only."""
    return await service.get_thread(
        session, principal, learner_id, thread_id, learner_allowed=settings.learner_in_threads
    )


@router.get(
    "/{thread_id}/messages", response_model=Page[MessageOut], **_rule(ALL_USERS, "read", 404)
)
async def list_messages(
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[MessageOut]:
    """The thread's messages in order (``seq`` 1, 2, …)."""
    return await service.list_messages(
        session,
        principal,
        learner_id,
        thread_id,
        learner_allowed=settings.learner_in_threads,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/{thread_id}/messages",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(WRITERS, "message", 404, 413, 415, 422),
)
async def post_message(
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    form: Annotated[MessageCreate, Form()],
    principal: CurrentPrincipal,
    db: DatabaseDep,
    store: Store,
    settings: Settings,
) -> MessageOut:
    """A participant writes (multipart), optionally with one file: its type is read from its
    content (415 when it is not one accepted), its size checked per kind (413)."""
    upload = None
    if form.file is not None:
        form.file.file.seek(0, 2)
        size = form.file.file.tell()
        form.file.file.seek(0)
        upload = service.Upload(form.file.file, size, form.file.filename)
    return await service.post_message(
        db,
        store,
        principal,
        learner_id,
        thread_id,
        form.body,
        upload,
        learner_allowed=settings.learner_in_threads,
        limits=settings.attachment_limits(),
    )


@router.post("/{thread_id}/read", response_model=ReadOut, **_rule(WRITERS, "message", 404))
async def mark_read(
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    body: ReadIn | None = None,
) -> ReadOut:
    """Your read receipt: up to ``up_to_seq`` (default: the latest message). It never moves
    back."""
    return await service.mark_read(
        session,
        principal,
        learner_id,
        thread_id,
        body.up_to_seq if body is not None else None,
        learner_allowed=settings.learner_in_threads,
    )


@router.get(
    "/{thread_id}/attachments/{attachment_id}",
    response_class=StreamingResponse,
    **_rule(ALL_USERS, "read", 404)
    | {
        "responses": {
            **_rule(ALL_USERS, "read", 404)["responses"],
            200: {"content": {"application/octet-stream": {}}},
        }
    },
)
async def download_attachment(
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    attachment_id: uuid.UUID,
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
        thread_id,
        attachment_id,
        learner_allowed=settings.learner_in_threads,
    )
    return StreamingResponse(
        found.chunks,
        media_type=found.media_type,
        headers=download_headers(found.filename, found.size),
    )
