"""The prerequisite graph a district plans on, cached per set of framework versions.

A district sees the shared frameworks and its own; the key is the (id, version) of each, so any
edit (which bumps its framework's version) makes the next request rebuild, and districts that see
the same frameworks share one graph. Building the full CCSS graph takes a few milliseconds; a plan
on a cached one well under one.
"""

import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.graph import SkillGraph, build_graph
from pathwise_pathways.repository import frameworks as repo
from pathwise_pathways.repository.frameworks import SkillRow

__all__ = ["DistrictGraph", "GraphCache", "build_district_graph"]

VersionKey = tuple[tuple[uuid.UUID, int, bool], ...]


@dataclass(frozen=True, eq=False)
class DistrictGraph:
    key: VersionKey
    graph: SkillGraph
    skills: dict[str, SkillRow]

    def grade_of(self, code: str) -> str | None:
        row = self.skills.get(code)
        return row.grade if row else None


def build_district_graph(
    key: VersionKey,
    rows: repo.GraphRows,
    extra_edges: list[tuple[str, str]] | None = None,
) -> DistrictGraph:
    """Shared skills first, then the district's own: a code the district redefines is its own."""
    owned = {fid for fid, _, is_owned in key if is_owned}
    skills: dict[str, SkillRow] = {}
    for row in sorted(rows.skills, key=lambda r: r.framework_id in owned):
        skills[row.code] = row
    edges = [(s, t) for _, s, t in rows.prerequisites]
    edges.extend(extra_edges or [])
    return DistrictGraph(key=key, graph=build_graph(skills, edges), skills=skills)


class GraphCache:
    def __init__(self, max_entries: int = 32) -> None:
        self._entries: OrderedDict[VersionKey, DistrictGraph] = OrderedDict()
        self._max = max_entries

    async def get(self, session: AsyncSession, district_id: uuid.UUID) -> DistrictGraph:
        key: VersionKey = tuple(await repo.framework_versions(session, district_id))
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        rows = await repo.graph_rows(session, [fid for fid, _, _ in key])
        built = build_district_graph(key, rows)
        self._entries[key] = built
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return built

    def clear(self) -> None:
        self._entries.clear()
