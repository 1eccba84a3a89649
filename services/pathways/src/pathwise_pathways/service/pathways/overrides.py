"""A teacher's changes to a pathway: pin/unpin, skip/unskip, insert, reorder, lock/unlock a
choice; always with a reason, recorded in the pathway's history."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.models import Pathway, PathwayStep
from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.graph_cache import DistrictGraph, GraphCache
from pathwise_pathways.service.pathways.history import OPEN, find_step, record_change
from pathwise_pathways.service.pathways.read import PathwayView, require_pathway, view
from pathwise_pathways.service.pathways.replan import replan
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Conflict, UnprocessableContent

__all__ = ["override"]


async def override(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    action: str,
    reason: str,
    step_id: uuid.UUID | None,
    skill_code: str | None,
    order: list[uuid.UUID] | None,
    activity_id: uuid.UUID | None,
) -> PathwayView:
    """A teacher's change: pin/unpin, skip/unskip, insert, reorder, lock/unlock a choice."""
    pathway = await require_pathway(session, district_id, learner_id, lock=True)
    graph = await cache.get(session, pathway.district_id)
    steps = await repo.steps_of(session, pathway.id)
    if action == "insert":
        steps.append(_inserted(session, graph, steps, pathway.id, skill_code))
    elif action == "reorder":
        _apply_order(graph, steps, order)
    elif action in {"place", "unplace"}:
        _revise_placement(pathway, find_step(steps, step_id), action)
    else:
        if step_id is None:
            raise UnprocessableContent(f"{action} needs step_id.", slug="step-id-required")
        _change_step(find_step(steps, step_id), action, activity_id)
    await session.flush()
    steps, _, _ = await replan(session, graph, pathway, steps)
    await record_change(session, pathway, steps, principal, action, reason)
    return await view(session, pathway)


def _inserted(
    session: AsyncSession,
    graph: DistrictGraph,
    steps: list[PathwayStep],
    pathway_id: uuid.UUID,
    skill_code: str | None,
) -> PathwayStep:
    if not skill_code:
        raise UnprocessableContent("insert needs skill_code.", slug="skill-code-required")
    if skill_code not in graph.skills:
        raise UnprocessableContent(
            f"Unknown skill code {skill_code}.", slug="unknown-skill-codes", codes=[skill_code]
        )
    if any(s.skill_code == skill_code for s in steps):
        raise Conflict(f"{skill_code} is already a step.", slug="step-exists")
    step = PathwayStep(
        pathway_id=pathway_id,
        skill_code=skill_code,
        title=graph.skills[skill_code].title,
        position=len(steps),
        status="locked",
        inserted=True,
        pinned=True,
        goal_codes=[],
        board=[],
    )
    session.add(step)
    return step


def _revise_placement(pathway: Pathway, step: PathwayStep, action: str) -> None:
    """A teacher's say over a diagnostic's placement: ``unplace`` plans a placed skill again;
    ``place`` restores the placement of a skill they un-placed (its evidence is still on record).
    The un-placing names the attempt whose placement was revoked, so it holds across replans
    until another diagnostic places the skill again."""
    evidence = (pathway.placements or {}).get(step.skill_code)
    unplaced = dict(pathway.unplaced or {})
    if action == "unplace":
        if step.status != "placed" or evidence is None:
            raise Conflict("The step is not placed.", slug="step-not-placed")
        unplaced[step.skill_code] = evidence["attempt_id"]
        step.status = "locked"  # the replan makes it ready when none of its prerequisites is open
    else:
        if evidence is None or step.skill_code not in unplaced:
            raise Conflict(
                "No un-placed placement to restore on this step.", slug="step-not-unplaced"
            )
        if step.status not in OPEN:
            raise Conflict(f"The step is {step.status}.", slug="step-closed")
        del unplaced[step.skill_code]
    # A new dict: the column is plain JSON, so the change is seen only on assignment.
    pathway.unplaced = unplaced


def _change_step(step: PathwayStep, action: str, activity_id: uuid.UUID | None) -> None:
    if action in {"pin", "unpin"}:
        step.pinned = action == "pin"
    elif action == "skip":
        if step.status not in OPEN:
            raise Conflict(f"The step is {step.status}.", slug="step-closed")
        step.status = "skipped"
    elif action == "unskip":
        if step.status != "skipped":
            raise Conflict("The step is not skipped.", slug="step-not-skipped")
        step.status = "locked"
    elif action == "lock":
        if activity_id is None:
            raise UnprocessableContent("lock needs activity_id.", slug="activity-required")
        if str(activity_id) not in {e["activity_id"] for e in step.board}:
            raise UnprocessableContent(
                "That activity is not on this step's choice board.",
                slug="activity-not-on-board",
            )
        step.chosen_activity_id = activity_id
        step.choice_locked = True
    elif action == "unlock":
        step.choice_locked = False


def _apply_order(
    graph: DistrictGraph, steps: list[PathwayStep], order: list[uuid.UUID] | None
) -> None:
    open_steps = {s.id: s for s in steps if s.status in OPEN}
    if not order or set(order) != set(open_steps) or len(order) != len(open_steps):
        raise UnprocessableContent(
            "reorder needs every open step id exactly once.", slug="invalid-order"
        )
    position = {open_steps[sid].skill_code: i for i, sid in enumerate(order)}
    for code, i in position.items():
        if code not in graph.graph.index:
            continue
        for prereq in graph.graph.prerequisites_of(code):
            if prereq in position and position[prereq] > i:
                raise Conflict(
                    f"{code} cannot come before its prerequisite {prereq}.",
                    slug="prerequisite-order",
                    skill_code=code,
                    prerequisite=prereq,
                )
    for code, i in position.items():
        next(s for s in steps if s.skill_code == code).teacher_rank = i
