"""The ownership rule applied: who owns new content, and the 403 for anyone else who changes it."""

from pathwise_pathways.domain.ownership import (
    Owner,
    author_school,
    creator_needs_school,
    may_change,
    needs_editor_schools,
)
from pathwise_pathways.models import Activity, Framework
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden

__all__ = ["new_owner", "owner_of", "require_change_right"]


def owner_of(row: Activity | Framework) -> Owner:
    return Owner(id=row.owner_id, school_id=row.owner_school_id)


async def new_owner(upstream: Upstream, principal: Principal) -> Owner:
    """The author and, for a teacher or school admin, their school (looked up in profiles)."""
    schools = await upstream.school_ids(principal) if creator_needs_school(principal) else ()
    return Owner(id=principal.subject, school_id=author_school(principal, schools))


async def require_change_right(
    upstream: Upstream, principal: Principal, owner: Owner, what: str
) -> None:
    """403 ``not-content-owner`` unless the rule lets ``principal`` change the content."""
    schools = await upstream.school_ids(principal) if needs_editor_schools(principal, owner) else ()
    if not may_change(principal, owner, schools):
        raise Forbidden(
            f"Only the author of this {what}, an admin of its school or a district admin may "
            "change it; you may still use it.",
            slug="not-content-owner",
        )
