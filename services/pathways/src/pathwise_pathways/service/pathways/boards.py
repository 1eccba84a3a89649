"""Choice boards: the best few activities of a step's skill for this learner, with reasons."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.ranking import (
    BoardEntry,
    LearnerFit,
    Reason,
    rank_board,
)
from pathwise_pathways.models import Pathway, PathwayStep
from pathwise_pathways.repository import activities as activities_repo

__all__ = ["BOARD_SIZE", "fill_boards", "learner_fit"]

BOARD_SIZE = 5


def learner_fit(profile: dict[str, Any]) -> LearnerFit:
    return LearnerFit(
        interests=frozenset(profile.get("interests", [])),
        preferred_formats=tuple(profile.get("preferred_formats", [])),
        languages=tuple(profile.get("languages", []) or ["en"]),
        english_learner=bool(profile.get("english_learner", False)),
        needs=frozenset(profile.get("needs", [])),
    )


def _stored_reasons(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    # Stored with their part and points so each viewer is shown only what they may see
    # (domain/disclosure.py), without re-ranking at read time.
    return [{"text": r.text, "part": r.part, "points": r.points} for r in reasons]


def _entry(entry: BoardEntry) -> dict[str, Any]:
    return {
        "activity_id": entry.activity_id,
        "title": entry.title,
        "format": entry.format,
        "minutes": entry.minutes,
        "score": entry.score,
        "reasons": _stored_reasons(entry.reasons),
    }


async def fill_boards(session: AsyncSession, pathway: Pathway, steps: list[PathwayStep]) -> None:
    codes = [s.skill_code for s in steps]
    catalogue = await activities_repo.activity_cards_for_skills(session, pathway.district_id, codes)
    fit = learner_fit(pathway.learner_profile or {})
    p_known: dict[str, float] = (pathway.learner_profile or {}).get("p_known", {})
    for step in steps:
        cards = catalogue.get(step.skill_code, [])
        board = rank_board(cards, fit, p_known.get(step.skill_code), BOARD_SIZE)
        entries = [_entry(e) for e in board]
        chosen = str(step.chosen_activity_id) if step.chosen_activity_id else None
        if chosen and chosen not in {e["activity_id"] for e in entries}:
            # A chosen (or teacher-locked) activity stays on the board even if it ranks lower.
            locked = next((c for c in cards if c.id == chosen), None)
            if locked is not None:
                entries.append(
                    _entry(rank_board([locked], fit, p_known.get(step.skill_code), 1)[0])
                )
            elif not step.choice_locked:
                step.chosen_activity_id = None
        step.board = entries
