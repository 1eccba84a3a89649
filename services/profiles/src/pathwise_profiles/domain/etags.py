"""``ETag`` / ``If-Match`` for optimistic concurrency: a stale write is a 412, never an overwrite."""

from pathwise_shared.problems import PreconditionFailed, PreconditionRequired

__all__ = ["etag_of", "require_match"]


def etag_of(kind: str, version: int) -> str:
    return f'"{kind}-{version}"'


def require_match(if_match: str | None, current: str) -> None:
    """Accept the edit only when ``If-Match`` names the current ETag (or is ``*``)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you edit.", slug="precondition-required"
        )
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        f"The record changed since you read it (current ETag {current}): read it again and "
        "reapply your edit.",
        slug="precondition-failed",
        current_etag=current,
    )
