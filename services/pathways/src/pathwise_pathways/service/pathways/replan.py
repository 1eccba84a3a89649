"""Steps from goals, mastery and a teacher's overrides: the one place a pathway's steps change."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.planner import Goal, PlannedStep, UnknownSkills, plan_steps
from pathwise_pathways.models import Pathway, PathwayStep
from pathwise_pathways.service.graph_cache import DistrictGraph
from pathwise_pathways.service.pathways.boards import fill_boards
from pathwise_pathways.service.pathways.history import OPEN
from pathwise_shared.problems import UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["goals_of", "placed_codes", "replan"]


def goals_of(pathway: Pathway) -> list[Goal]:
    return [
        Goal(
            g["skill_code"], date.fromisoformat(g["target_date"]) if g.get("target_date") else None
        )
        for g in pathway.goals
    ]


def placed_codes(pathway: Pathway) -> set[str]:
    """The skills a diagnostic placed that a teacher has not un-placed."""
    unplaced = pathway.unplaced or {}
    return {
        code
        for code, evidence in (pathway.placements or {}).items()
        if unplaced.get(code) != evidence.get("attempt_id")
    }


async def replan(
    session: AsyncSession,
    graph: DistrictGraph,
    pathway: Pathway,
    existing: list[PathwayStep],
) -> tuple[list[PathwayStep], list[str], list[str]]:
    """Recompute the steps from goals, mastery and overrides; (steps, opened, reopened)."""
    by_code = {s.skill_code: s for s in existing}
    profile = pathway.learner_profile or {}
    known = set(pathway.mastered_codes) | set(profile.get("assumed_mastered", []))
    # Placed skills stop the walk back from a goal as mastered ones do; mastery wins over placement.
    placed = placed_codes(pathway) - known
    mastered = known | placed
    skipped = {s.skill_code for s in existing if s.status == "skipped"}
    extra = [s.skill_code for s in existing if (s.pinned or s.inserted) and s.status != "skipped"]
    ranks = {s.skill_code: s.teacher_rank for s in existing if s.teacher_rank is not None}
    planned = _plan(graph, pathway, mastered, skipped, extra, ranks)
    # The placed skills the goals would need without the placement: shown as steps, marked
    # placed with their evidence, so a teacher sees what was skipped and why and can revise it.
    shown_placed = (
        [p for p in _plan(graph, pathway, known, skipped, extra, ranks) if p.code in placed]
        if placed
        else []
    )
    now = utcnow()
    # A step whose skill is now mastered (or placed) stays in the pathway, as progress.
    kept = [s for s in existing if s.status != "skipped" and s.skill_code in mastered]
    for step in kept:
        step.status = "mastered" if step.skill_code in known else "placed"
    kept_codes = {s.skill_code for s in kept}
    for item in shown_placed:
        if item.code in kept_codes or item.code in skipped:
            continue
        skill = graph.skills.get(item.code)
        step = PathwayStep(
            pathway_id=pathway.id,
            skill_code=item.code,
            title=skill.title if skill else item.code,
            position=0,
            status="placed",
            goal_codes=list(item.goal_codes),
            board=[],
        )
        session.add(step)
        kept.append(step)
    kept += [s for s in existing if s.status == "skipped"]
    planned_codes = {p.code for p in planned}
    for step in existing:
        if step not in kept and step.skill_code not in planned_codes:
            await session.delete(step)
    opened: list[str] = []
    reopened: list[str] = []
    result = list(kept)
    for item in planned:
        found = by_code.get(item.code)
        status = "ready" if item.ready else "locked"
        if found is None:
            skill = graph.skills.get(item.code)
            step = PathwayStep(
                pathway_id=pathway.id,
                skill_code=item.code,
                title=skill.title if skill else item.code,
                position=0,
                status=status,
                goal_codes=list(item.goal_codes),
                board=[],
            )
            session.add(step)
            if item.ready:
                opened.append(item.code)
        else:
            step = found
            if step.status == "mastered":
                reopened.append(item.code)
                step.mastered_at = None
            elif step.status in {"locked", "placed"} and item.ready:
                # (placed: un-placed by a teacher, so planned again)
                opened.append(item.code)
            step.status = status
            step.goal_codes = list(item.goal_codes)
        step.due_date = item.due_date
        result.append(step)
    for position, step in enumerate(result):
        step.position = position
        if step.status == "mastered" and step.mastered_at is None:
            step.mastered_at = now
    await fill_boards(session, pathway, [s for s in result if s.status in OPEN])
    await session.flush()
    return result, opened, reopened


def _plan(
    graph: DistrictGraph,
    pathway: Pathway,
    mastered: set[str],
    skipped: set[str],
    extra: list[str],
    ranks: dict[str, int],
) -> list[PlannedStep]:
    try:
        return plan_steps(
            graph.graph,
            goals_of(pathway),
            mastered,
            skipped=skipped,
            extra_targets=[c for c in extra if c in graph.graph.index],
            teacher_rank=ranks,
        )
    except UnknownSkills as exc:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(exc.codes),
            slug="unknown-skill-codes",
            codes=exc.codes,
        ) from exc
