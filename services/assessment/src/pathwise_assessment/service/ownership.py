"""The ownership rule applied: who owns new content, and the 403 for anyone else who changes it."""

from pathwise_assessment.domain.ownership import (
    Owner,
    author_school,
    creator_needs_school,
    may_change,
    needs_editor_schools,
)
from pathwise_assessment.models import Assessment, Item
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden

__all__ = ["new_owner", "owner_of", "require_change_right"]


def owner_of(row: Item | Assessment) -> Owner:
    return Owner(id=row.owner_id, school_id=row.owner_school_id)


async def new_owner(upstreams: Upstreams, principal: Principal) -> Owner:
    """The author and, for a teacher or school admin, their school (looked up in profiles)."""
    schools = await upstreams.school_ids(principal) if creator_needs_school(principal) else ()
    return Owner(id=principal.subject, school_id=author_school(principal, schools))


async def require_change_right(
    upstreams: Upstreams, principal: Principal, owner: Owner, what: str
) -> None:
    """403 ``not-content-owner`` unless the rule lets ``principal`` change the content."""
    schools = (
        await upstreams.school_ids(principal) if needs_editor_schools(principal, owner) else ()
    )
    if not may_change(principal, owner, schools):
        raise Forbidden(
            f"Only the author of this {what}, an admin of its school or a district admin may "
            "change it; you may still use it.",
            slug="not-content-owner",
        )
