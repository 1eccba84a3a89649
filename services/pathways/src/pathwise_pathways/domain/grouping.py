"""Flexible grouping of a class: by the next skill each learner needs, or by mastery band.

Buckets come out in a teaching order (skills by the framework's topological order, bands from
lowest mastery up); then any bucket below the minimum size joins its smaller neighbour and any
bucket above the maximum is split evenly, so every group respects both sizes when the class can.
Splitting into ceil(n / max_size) parts is the fewest groups that fit, and so the largest: if that
count leaves a group below the minimum, no split of that bucket meets both bounds.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["BANDS", "Group", "LearnerStanding", "band_of", "group_by_band", "group_by_next_skill"]

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


# A member is (learner id, the label of the bucket it started in, that bucket's skills): kept per
# member so that a merged bucket, once split again, names only what its own members need.
_Member = tuple[str, str, tuple[str, ...]]


def band_of(p: float | None) -> str:
    value = 0.0 if p is None else p
    label = BANDS[0][0]
    for name, floor in BANDS:
        if value >= floor:
            label = name
    return label


def _group(members: list[_Member], suffix: str = "") -> Group:
    labels = tuple(dict.fromkeys(label for _, label, _ in members))
    skills = tuple(dict.fromkeys(code for _, _, codes in members for code in codes))
    return Group(" + ".join(labels) + suffix, skills, tuple(m[0] for m in members))


def _normalize(buckets: list[list[_Member]], min_size: int, max_size: int) -> list[Group]:
    buckets = [b for b in buckets if b]
    while len(buckets) > 1:
        small = [i for i, b in enumerate(buckets) if len(b) < min_size]
        if not small:
            break
        i = min(small, key=lambda k: (len(buckets[k]), k))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(buckets)]
        j = min(neighbours, key=lambda k: (len(buckets[k]), k))
        a, b = sorted((i, j))
        buckets[a : b + 1] = [buckets[a] + buckets[b]]
    groups: list[Group] = []
    for members in buckets:
        parts = max(1, math.ceil(len(members) / max_size))
        size, extra = divmod(len(members), parts)
        start = 0
        for part in range(parts):
            end = start + size + (1 if part < extra else 0)
            suffix = "" if parts == 1 else f" ({part + 1}/{parts})"
            groups.append(_group(members[start:end], suffix))
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
    rows: list[list[_Member]] = [
        [(lid, code, (code,)) for lid in buckets[code]] for code in ordered
    ]
    if None in buckets:
        rows.append([(lid, "nothing next", ()) for lid in buckets[None]])
    return _normalize(rows, min_size, max_size)


def group_by_band(
    learners: Sequence[LearnerStanding], *, min_size: int, max_size: int
) -> list[Group]:
    """Learners of similar mastery together, lowest band first (no mastery yet counts as 0)."""
    ordered = sorted(learners, key=lambda s: (s.p_known or 0.0, s.learner_id))
    buckets: dict[str, list[_Member]] = {name: [] for name, _ in BANDS}
    for learner in ordered:
        band = band_of(learner.p_known)
        buckets[band].append((learner.learner_id, band, ()))
    return _normalize([buckets[name] for name, _ in BANDS], min_size, max_size)
