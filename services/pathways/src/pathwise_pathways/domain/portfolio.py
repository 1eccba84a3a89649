"""Portfolio rules that need no database: what each artifact kind carries, what a file really is
(sniffed from its first bytes; the client's Content-Type and file name are never trusted), how
large it may be, who sees it, and how a download names its file.

Allowed file types per kind are deliberately few and all of them inert when opened: no SVG (it
carries script), no HTML, no office formats (their zip container cannot be told from any other
zip by its first bytes). A type is decided from the magic numbers only, and the stored type is
ours (``ALLOWED``), not the sniffing library's spelling, so it is the same on every version.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import urlsplit

# The file rules are shared with profiles' message attachments (one set of types and checks).
from pathwise_shared.files import (
    ALLOWED,
    SNIFF_BYTES,
    FileTooLarge,
    UnsupportedFileType,
    check_size,
    content_disposition,
    safe_filename,
    sniff,
)
from pathwise_shared.problems import (
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
)

__all__ = [
    "ALLOWED",
    "FILE_KINDS",
    "KINDS",
    "SNIFF_BYTES",
    "ArtifactKind",
    "Content",
    "FileTooLarge",
    "UnsupportedFileType",
    "artifact_etag",
    "check_content",
    "check_size",
    "content_disposition",
    "guardian_may_see",
    "new_storage_key",
    "require_match",
    "safe_filename",
    "skill_codes_in",
    "sniff",
]

ArtifactKind = Literal["text", "link", "image", "audio", "video", "document"]
KINDS: tuple[str, ...] = get_args(ArtifactKind)
FILE_KINDS = frozenset({"image", "audio", "video", "document"})


@dataclass(frozen=True)
class Content:
    """What an artifact carries besides its file: the text, or the link."""

    body: str | None
    url: str | None


def check_content(kind: str, *, body: str | None, url: str | None, has_file: bool) -> Content:
    """Each kind carries exactly its own content: text a body, link an http(s) URL, the file
    kinds a file (and may have a short body as a caption). 422 ``artifact-content`` otherwise."""

    def refuse(detail: str, field: str) -> UnprocessableContent:
        return UnprocessableContent(detail, slug="artifact-content", field=field)

    body = body.strip() if body and body.strip() else None
    url = url.strip() if url and url.strip() else None
    if kind in FILE_KINDS and not has_file:
        raise refuse(f"A {kind} artifact needs a file.", "file")
    if kind not in FILE_KINDS and has_file:
        raise refuse(f"A {kind} artifact takes no file.", "file")
    if kind != "link" and url is not None:
        raise refuse("Only a link artifact takes a url.", "url")
    if kind == "text" and body is None:
        raise refuse("A text artifact needs a body.", "body")
    if kind == "link":
        if url is None:
            raise refuse("A link artifact needs a url.", "url")
        parts = urlsplit(url)
        # http and https only: a javascript:, data: or file: link would run or read something
        # in whoever opens the portfolio.
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise refuse("A link must be an http or https URL with a host.", "url")
    return Content(body, url)


def guardian_may_see(shared_with_guardians: bool, district_policy: str) -> bool:
    """The learner decides, within the district's policy (``never`` wins over the learner)."""
    return shared_with_guardians and district_policy == "allowed"


def new_storage_key(learner_id: str) -> str:
    """Where a file is stored: random, never the client's name (nothing of it reaches a path)."""
    return f"portfolio/{learner_id}/{secrets.token_hex(16)}"


def skill_codes_in(codes: Iterable[str]) -> list[str]:
    """The codes as given, once each, in order."""
    return list(dict.fromkeys(c.strip() for c in codes if c.strip()))


def artifact_etag(version: int) -> str:
    return f'"artifact-{version}"'


def require_match(if_match: str | None, current: str) -> None:
    """An edit names the version it changes (``If-Match``): 428 without, 412 when stale."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you edit.", slug="precondition-required"
        )
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            f"The artifact changed since you read it (current ETag {current}): read it again.",
            slug="precondition-failed",
            current_etag=current,
        )
