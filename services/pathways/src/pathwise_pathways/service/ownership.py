"""The content-ownership rule (``pathwise_shared.ownership``) applied to this service's content:
who owns new content, and the 403 for anyone else who changes it."""

from pathwise_pathways.models import Activity, Framework
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared import ownership
from pathwise_shared.auth import Principal
from pathwise_shared.ownership import Owner

__all__ = ["WRITE_SCOPE", "Owner", "new_owner", "owner_of", "require_change_right"]

# The scope that lets an integration client change any of this service's content.
WRITE_SCOPE = "pathways:write"


def owner_of(row: Activity | Framework) -> Owner:
    return Owner(id=row.owner_id, school_id=row.owner_school_id)


async def new_owner(upstream: Upstream, principal: Principal) -> Owner:
    return await ownership.new_owner(upstream.school_ids, principal)


async def require_change_right(
    upstream: Upstream, principal: Principal, owner: Owner, what: str
) -> None:
    await ownership.require_change_right(upstream.school_ids, principal, owner, what, WRITE_SCOPE)
