"""Who may change shared content (items, assessments, activities, frameworks): one rule for the
services that hold such content, pure apart from the one look-up it may need.

Everyone a route lets in may read and use the content of their district. Changing or deleting it
is for:

- its author (``owner.id`` is the principal's subject);
- a district admin (the district is the tenant: they answer for all of its content);
- an integration client with the service's write scope (clients act for the district, never for
  one school);
- a school admin of the content's school (``owner.school_id``); content without a school is
  district-wide, so no school admin may change it;
- our own system jobs (seeds, migrations of data), which act for the district.

The rule needs the editor's schools only in the school-admin case (``needs_editor_schools``), and
the author's only when a teacher or school admin creates content (``creator_needs_school``); the
caller hands a ``SchoolsOf`` look-up (``pathwise_shared.calls.SchoolDirectory``), asked only then.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden

__all__ = [
    "Owner",
    "SchoolsOf",
    "author_school",
    "creator_needs_school",
    "may_change",
    "needs_editor_schools",
    "new_owner",
    "require_change_right",
]

SchoolsOf = Callable[[Principal], Awaitable[tuple[uuid.UUID, ...]]]


@dataclass(frozen=True)
class Owner:
    """``id``: the author's subject (None on rows written before owners existed);
    ``school_id``: the author's school (None = district-wide content)."""

    id: str | None
    school_id: uuid.UUID | None


def creator_needs_school(principal: Principal) -> bool:
    """A user other than a district admin authors content for their school, which profiles
    knows; a district admin, a client or a system job authors district-wide content."""
    return (
        principal.kind == "user"
        and principal.user_id is not None
        and not principal.has_role("district_admin")
    )


def author_school(principal: Principal, school_ids: Collection[uuid.UUID]) -> uuid.UUID | None:
    """The school new content belongs to. A user of several schools gets the first by id: stable,
    and the content still has one school whose admin answers for it."""
    if not creator_needs_school(principal) or not school_ids:
        return None
    return min(school_ids)


def _granted_without_schools(principal: Principal, owner: Owner, write_scope: str) -> bool:
    if principal.is_system:
        return True
    if principal.kind == "client":
        return principal.has_scope(write_scope)
    if principal.has_role("district_admin"):
        return True
    return owner.id is not None and owner.id == principal.subject


def needs_editor_schools(principal: Principal, owner: Owner, write_scope: str) -> bool:
    """Whether ``may_change`` depends on the editor's schools (a school admin who is not the
    author, on content of a school): only then are they looked up."""
    return (
        not _granted_without_schools(principal, owner, write_scope)
        and principal.kind == "user"
        and principal.has_role("school_admin")
        and owner.school_id is not None
    )


def may_change(
    principal: Principal,
    owner: Owner,
    editor_school_ids: Collection[uuid.UUID],
    write_scope: str,
) -> bool:
    if _granted_without_schools(principal, owner, write_scope):
        return True
    return (
        principal.kind == "user"
        and principal.has_role("school_admin")
        and owner.school_id is not None
        and owner.school_id in editor_school_ids
    )


async def new_owner(schools_of: SchoolsOf, principal: Principal) -> Owner:
    """The author and, for a teacher or school admin, their school (looked up in profiles)."""
    schools = await schools_of(principal) if creator_needs_school(principal) else ()
    return Owner(id=principal.subject, school_id=author_school(principal, schools))


async def require_change_right(
    schools_of: SchoolsOf, principal: Principal, owner: Owner, what: str, write_scope: str
) -> None:
    """403 ``not-content-owner`` unless the rule lets ``principal`` change the content."""
    needed = needs_editor_schools(principal, owner, write_scope)
    schools = await schools_of(principal) if needed else ()
    if not may_change(principal, owner, schools, write_scope):
        raise Forbidden(
            f"Only the author of this {what}, an admin of its school or a district admin may "
            "change it; you may still use it.",
            slug="not-content-owner",
        )
