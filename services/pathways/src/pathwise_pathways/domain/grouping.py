"""Flexible grouping of a class: by the next skill each learner needs, or by mastery band.

Buckets come out in a teaching order (skills by the framework's topological order, bands from
lowest mastery up); then any bucket below the minimum size joins its nearest neighbour and any
bucket above the maximum is split evenly, so every group respects both sizes when the class can.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["BANDS", "Group", "LearnerStanding", "group_by_band", "group_by_next_skill"]

BANDS = (("emerging", 0.0), ("developing", 0.4), ("secure", 0.7))


@dataclass(frozen=True)
class LearnerStanding:
    learner_id: str
    next_skill: str | None
    p_known: float | None


@dataclass(frozen=True)
class Group:
    label: str
    skill_codes: tuple[str, ...]
    learner_ids: tuple[str, ...]


def _band(p: float | None) -> str:
    value = 0.0 if p is None else p
    label = BANDS[0][0]
    for name, floor in BANDS:
        if value >= floor:
            label = name
    return label


def _normalize(
    buckets: list[tuple[str, tuple[str, ...], list[str]]], min_size: int, max_size: int
) -> list[Group]:
    buckets = [b for b in buckets if b[2]]
    # Merge small buckets into their smaller neighbour until none is below the minimum.
    while len(buckets) > 1:
        small = [i for i, b in enumerate(buckets) if len(b[2]) < min_size]
        if not small:
            break
        i = min(small, key=lambda k: (len(buckets[k][2]), k))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(buckets)]
        j = min(neighbours, key=lambda k: (len(buckets[k][2]), k))
        a, b = sorted((i, j))
        merged = (
            f"{buckets[a][0]} + {buckets[b][0]}",
            tuple(dict.fromkeys(buckets[a][1] + buckets[b][1])),
            buckets[a][2] + buckets[b][2],
        )
        buckets[a : b + 1] = [merged]
    groups: list[Group] = []
    for label, skills, members in buckets:
        parts = max(1, math.ceil(len(members) / max_size))
        size, extra = divmod(len(members), parts)
        start = 0
        for part in range(parts):
            end = start + size + (1 if part < extra else 0)
            name = label if parts == 1 else f"{label} ({part + 1}/{parts})"
            groups.append(Group(name, skills, tuple(members[start:end])))
            start = end
    return groups


def group_by_next_skill(
    learners: Sequence[LearnerStanding],
    skill_rank: Callable[[str], int],
    *,
    min_size: int,
    max_size: int,
) -> list[Group]:
    """Learners needing the same skill next work together; those with nothing next come last."""
    buckets: dict[str | None, list[str]] = {}
    for learner in sorted(learners, key=lambda s: s.learner_id):
        buckets.setdefault(learner.next_skill, []).append(learner.learner_id)
    ordered = sorted(
        (code for code in buckets if code is not None), key=lambda c: (skill_rank(c), c)
    )
    rows: list[tuple[str, tuple[str, ...], list[str]]] = [
        (code, (code,), buckets[code]) for code in ordered
    ]
    if None in buckets:
        rows.append(("nothing next", (), buckets[None]))
    return _normalize(rows, min_size, max_size)


def group_by_band(
    learners: Sequence[LearnerStanding], *, min_size: int, max_size: int
) -> list[Group]:
    ordered = sorted(learners, key=lambda s: (s.p_known or 0.0, s.learner_id))
    buckets: dict[str, list[str]] = {name: [] for name, _ in BANDS}
    for learner in ordered:
        buckets[_band(learner.p_known)].append(learner.learner_id)
    return _normalize([(name, (), buckets[name]) for name, _ in BANDS], min_size, max_size)
