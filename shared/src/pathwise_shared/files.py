"""Uploaded files, the rules that need no storage: what a file really is (sniffed from its first
bytes; the client's Content-Type and file name are never trusted), how large it may be, and how a
download names and serves it. Pathways' portfolio and profiles' message attachments use the same
rules, so a file refused by one is refused by the other.

The accepted types are deliberately few and all of them inert when opened: no SVG (it carries
script), no HTML, no office formats (their zip container cannot be told from any other zip by its
first bytes). A type is decided from the magic numbers only, and the stored type is ours
(``ALLOWED``), not the sniffing library's spelling, so it is the same on every version.
"""

import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote

import puremagic

from pathwise_shared.problems import PayloadTooLarge, Problem, UnprocessableContent

__all__ = [
    "ALLOWED",
    "DOWNLOAD_HEADERS",
    "MAX_FILENAME",
    "SNIFF_BYTES",
    "FileTooLarge",
    "UnsupportedFileType",
    "check_size",
    "content_disposition",
    "download_headers",
    "safe_filename",
    "sniff",
    "sniff_any",
]

# Every signature we accept sits within the first bytes (the longest: ``ftyp`` boxes of MP4).
SNIFF_BYTES = 4096

# kind → sniffed extension → the type we store and serve.
ALLOWED: Mapping[str, Mapping[str, str]] = {
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

# A served file is a download of the type we sniffed: never rendered inline, never sniffed by
# the browser, sandboxed if it is opened anyway.
DOWNLOAD_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
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


def sniff_any(head: bytes, kinds: tuple[str, ...]) -> tuple[str, str]:
    """The kind and type of a file that may be of any of ``kinds`` (an attachment: the first
    kind whose types it matches); 415 naming every accepted type otherwise."""
    candidates = _candidates(head)
    for kind in kinds:
        allowed = ALLOWED.get(kind, {})
        for extension in candidates:
            if extension in allowed:
                return kind, allowed[extension]
    accepted = sorted({t for kind in kinds for t in ALLOWED.get(kind, {}).values()})
    raise UnsupportedFileType(
        f"This file is not one of the accepted types ({', '.join(accepted)}); its content was "
        "checked, not its name.",
        accepted=accepted,
    )


def check_size(size: int, kind: str, limits: Mapping[str, int]) -> None:
    limit = limits[kind]
    if size > limit:
        raise FileTooLarge(
            f"A {kind} file may be at most {limit} bytes; this one is {size}.", limit=limit
        )
    if size == 0:
        raise UnprocessableContent("The file is empty.", slug="empty-file", field="file")


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


def download_headers(filename: str, size: int) -> dict[str, str]:
    """The headers of every file download: attachment, its length, nosniff, sandbox."""
    return {
        "Content-Disposition": content_disposition(filename),
        "Content-Length": str(size),
        **DOWNLOAD_HEADERS,
    }
