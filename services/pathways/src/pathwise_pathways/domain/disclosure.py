"""What a viewer is shown of data derived from a learner's profile (docs/pathways.md, "Visibility").

Planning uses every part of the profile, hidden or not (a hidden accommodation still ranks the
boards and stretches the pace forecast). What a viewer is *shown* must not reveal a part profiles
withholds from them: ``hidden`` is the set of parts profiles names for that viewer
(``/internal/learners/{id}/disclosure``), and these pure functions drop what derives from them.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "FLAG_PARTS",
    "GOALS",
    "visible_board",
    "visible_flags",
    "visible_reasons",
]

GOALS = "goals"
# Insight flags whose sentence comes from a profile part (the others come from mastery).
FLAG_PARTS = {"accommodation_not_applied": "accommodations", "behind_pace": GOALS}


def _reason_parts(reason: Any) -> tuple[str, str | None, float] | None:
    """(text, part, points) of a stored reason; None for a bare string of a board stored before
    reasons named their part (its part is unknown)."""
    if isinstance(reason, Mapping):
        part = reason.get("part")
        return (
            str(reason.get("text", "")),
            None if part is None else str(part),
            float(reason.get("points", 0.0)),
        )
    return None


def visible_reasons(reasons: Sequence[Any], hidden: Iterable[str]) -> tuple[list[str], float]:
    """The sentences this viewer may see, and the points of those withheld.

    A bare string (a board ranked before reasons named their part) is shown only to a viewer
    from whom nothing is hidden: its part is unknown, so withholding it is the safe side.
    """
    withheld = frozenset(hidden)
    shown: list[str] = []
    removed = 0.0
    for reason in reasons:
        parsed = _reason_parts(reason)
        if parsed is None:
            if not withheld:
                shown.append(str(reason))
            continue
        text, part, points = parsed
        if part is not None and part in withheld:
            removed += points
        else:
            shown.append(text)
    return shown, removed


def visible_board(
    board: Sequence[Mapping[str, Any]], hidden: Iterable[str]
) -> list[dict[str, Any]]:
    """A choice board as this viewer may see it: reasons from hidden parts dropped, and the
    score without their points, so every point shown still has a sentence the viewer sees.
    The order stays the planner's (it used every part)."""
    withheld = frozenset(hidden)
    out = []
    for entry in board:
        reasons, removed = visible_reasons(entry.get("reasons") or [], withheld)
        out.append(
            {**entry, "reasons": reasons, "score": round(float(entry["score"]) - removed, 2)}
        )
    return out


def visible_flags(
    flags: Sequence[Mapping[str, Any]], hidden: Iterable[str]
) -> list[dict[str, Any]]:
    """Insight flags without those whose sentence tells a hidden part."""
    withheld = frozenset(hidden)
    return [dict(f) for f in flags if FLAG_PARTS.get(f.get("code", "")) not in withheld]
