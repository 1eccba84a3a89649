"""Portfolio rules that need no database: what each artifact kind carries, what a file really is
(sniffed from its first bytes; the client's Content-Type and file name are never trusted), how
large it may be, who sees it, and how a download names its file.

Allowed file types per kind are deliberately few and all of them inert when opened: no SVG (it
carries script), no HTML, no office formats (their zip container cannot be told from any other
zip by its first bytes). A type is decided from the magic numbers only, and the stored type is
ours (``ALLOWED``), not the sniffing library's spelling, so it is the same on every version.
"""

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import quote, urlsplit

import puremagic

from pathwise_shared.problems import (
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
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
# Every signature we accept sits within the first bytes (the longest: ``ftyp`` boxes of MP4).
SNIFF_BYTES = 4096

# kind → sniffed extension → the type we store and serve.
ALLOWED: dict[str, dict[str, str]] = {
    "image": {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".jfif": "image/jpeg",
        ".gif": "image/gif",
        ".webp": "image/webp",
    },
    "audio": {
        ".mp3": "audio/mpeg",
        ".ogg": "audio/ogg",
        ".oga": "audio/ogg",
        ".opus": "audio/ogg",
        ".wav": "audio/wav",
        ".m4a": "audio/mp4",
    },
    "video": {
        ".mp4": "video/mp4",
        ".m4v": "video/mp4",
        ".webm": "video/webm",
        ".mov": "video/quicktime",
    },
    "document": {".pdf": "application/pdf"},
}


class UnsupportedFileType(Problem):
    status = 415
    slug = "unsupported-file-type"


class FileTooLarge(PayloadTooLarge):
    slug = "file-too-large"


def _candidates(head: bytes) -> list[str]:
    """The extensions the first bytes match, best first (empty: nothing known)."""
    if not head:
        return []
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return []
    ranked = sorted(matches, key=lambda m: -float(m.confidence))
    return [str(m.extension).lower() for m in ranked]


def sniff(head: bytes, kind: str) -> str:
    """The type of a file of ``kind`` from its first bytes; 415 when it is not one we accept
    for that kind (whatever the client said it was)."""
    allowed = ALLOWED.get(kind, {})
    for extension in _candidates(head):
        if extension in allowed:
            return allowed[extension]
    accepted = sorted(set(allowed.values()))
    raise UnsupportedFileType(
        f"This file is not one of the types accepted for {kind} artifacts "
        f"({', '.join(accepted) or 'none'}); its content was checked, not its name.",
        accepted=accepted,
    )


def check_size(size: int, kind: str, limits: dict[str, int]) -> None:
    limit = limits[kind]
    if size > limit:
        raise FileTooLarge(
            f"A {kind} file may be at most {limit} bytes; this one is {size}.", limit=limit
        )
    if size == 0:
        raise UnprocessableContent("The file is empty.", slug="empty-file", field="file")


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


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
MAX_FILENAME = 120


def safe_filename(name: str | None, fallback: str = "artifact") -> str:
    """The client's file name as a display name only: no directory, no control or quoting
    characters, NFC, at most 120 characters (the extension kept when it is short)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" ._")
    if not name:
        return fallback
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9._ -]+", "_", folded).strip(" ._")
    return folded or "artifact"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact name as
    ``filename*`` (RFC 6266, RFC 5987: UTF-8, percent-encoded)."""
    safe = safe_filename(name)
    return (
        f"attachment; filename=\"{_ascii_fallback(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"
    )


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
