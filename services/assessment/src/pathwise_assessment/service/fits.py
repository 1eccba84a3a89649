"""The fitting job: EM over a district's scored responses, stored as per-skill BKT parameters.

``POST /v1/mastery/fits`` commits a ``running`` run and answers 202; the fit itself runs after the
response (a background task with its own transaction) and the numpy work in a worker thread, so
neither the request nor the event loop waits for it.

Every skill's fit is guarded (``domain.bkt_fit.guard_fits``): a skill with fewer than
``min_responses`` responses or ``MIN_LEARNERS`` learners is *rejected* and keeps its current
parameters; the others are clamped to sane bounds and shrunk toward the district's parameters when
data are thin. The run's ``results`` hold ``skills`` (what was stored, as before, plus the status)
and ``report`` (every skill's decision and why) and ``district`` (the base thin skills lean on).

The fit is item-aware (issue 14): each response carries its pinned item version's difficulty,
discrimination and guess floor (``service.mastery.item_evidence``, as the answer path scores it),
so EM scores every answer with the item's own guess and slip, as the mastery model does, and
stores the skill's *base* guess and slip the model moves per item (``domain.bkt_fit``).
"""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.bkt import DEFAULT_PARAMS
from pathwise_assessment.domain.bkt_fit import build_sequences, fit_em, guard_fits
from pathwise_assessment.domain.mastery import ItemEvidence
from pathwise_assessment.models import MasteryFit
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.mastery import item_evidence
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.ids import new_id
from pathwise_shared.problems import NotFound
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Observation",
    "complete_fit",
    "fit_district",
    "fit_observations",
    "fit_with_report",
    "get_fit",
    "list_fits",
    "run_fit",
    "run_scheduled_fits",
    "start_fit",
]

logger = logging.getLogger("pathwise.assessment.fits")

# (learner, correct, item, time): the item as the model scores it (its skills, difficulty,
# discrimination and guess floor), or just its skill codes (an average item without a floor).
Observation = tuple[Any, bool, ItemEvidence | Sequence[str], datetime]


def fit_with_report(observations: Sequence[Observation], min_responses: int) -> dict[str, Any]:
    """Pure: (learner, correct, item or skills, time) rows in time order -> the run's
    ``results``: ``skills`` (the parameters to store, per accepted or shrunk skill), ``report``
    (every skill's decision: status, reasons, raw fit, stored values, weight, counts) and
    ``district``. Each answer is scored with its item's guess and slip (``domain.bkt_fit``)."""
    codes: dict[str, int] = {}
    learners: dict[Any, int] = {}
    skill_idx: list[int] = []
    learner_idx: list[int] = []
    correct: list[int] = []
    difficulty: list[float] = []
    discrimination: list[float] = []
    floor: list[float] = []
    learners_of: dict[str, set[int]] = {}
    for learner, ok, item, _ in observations:
        if not isinstance(item, ItemEvidence):
            item = ItemEvidence(tuple(item))
        lid = learners.setdefault(learner, len(learners))
        for code in dict.fromkeys(item.skill_codes):
            skill_idx.append(codes.setdefault(code, len(codes)))
            learner_idx.append(lid)
            correct.append(1 if ok else 0)
            difficulty.append(item.difficulty)
            discrimination.append(item.discrimination)
            floor.append(item.guess_floor)
            learners_of.setdefault(code, set()).add(lid)
    if not codes:
        return {"skills": {}, "report": {}, "district": None}
    data = build_sequences(
        np.array(skill_idx),
        np.array(learner_idx),
        np.array(correct),
        len(codes),
        difficulty=difficulty,
        discrimination=discrimination,
        floor=floor,
    )
    result = fit_em(data)
    d = DEFAULT_PARAMS
    decisions, district, district_learners = guard_fits(
        {code: result.params(k) for code, k in codes.items()},
        {code: int(data.responses_per_skill[k]) for code, k in codes.items()},
        {code: len(learners_of[code]) for code in codes},
        min_responses=min_responses,
        default=(d.prior, d.learn, d.guess, d.slip),
    )
    stored: dict[str, dict[str, Any]] = {}
    for code, decision in decisions.items():
        if decision.params is None:
            continue
        prior, learn, guess, slip = decision.params
        stored[code] = {
            "prior": round(prior, 6),
            "learn": round(learn, 6),
            "guess": round(guess, 6),
            "slip": round(slip, 6),
            "response_count": decision.responses,
            "learner_count": decision.learners,
            "status": decision.status,
            "log_likelihood": round(float(result.log_likelihood[codes[code]]), 4),
        }
    return {
        "skills": stored,
        "report": {code: decision.report() for code, decision in decisions.items()},
        "district": {
            "params": dict(
                zip(
                    ("prior", "learn", "guess", "slip"),
                    (round(v, 6) for v in district),
                    strict=True,
                )
            ),
            "learner_count": district_learners,
        },
    }


def fit_observations(
    observations: Sequence[Observation], min_responses: int
) -> dict[str, dict[str, Any]]:
    """Pure: the parameters to store per skill (accepted or shrunk; see :func:`fit_with_report`)."""
    stored: dict[str, dict[str, Any]] = fit_with_report(observations, min_responses)["skills"]
    return stored


async def start_fit(
    session: AsyncSession, district_id: uuid.UUID, requested_by: str, min_responses: int
) -> MasteryFit:
    """A fitting run in state ``running``; :func:`complete_fit` does the work."""
    fit = MasteryFit(
        id=new_id(),
        district_id=district_id,
        status="running",
        min_responses=min_responses,
        requested_by=requested_by,
        created_at=utcnow(),
    )
    await repo.add_fit(session, fit)
    return fit


async def complete_fit(session: AsyncSession, fit: MasteryFit) -> MasteryFit:
    """Fit the district's scored responses and store the guarded parameters of every skill that
    was not rejected; the run keeps the report of every skill."""
    responses, versions = await repo.scored_responses(session, fit.district_id)
    items = {version.id: item_evidence(version) for version in versions}
    observations = [
        (learner, correct, items[version_id], at) for learner, correct, version_id, at in responses
    ]
    try:
        results = await asyncio.to_thread(fit_with_report, observations, fit.min_responses)
    except (ValueError, FloatingPointError) as exc:
        fit.status, fit.error, fit.finished_at = "failed", str(exc)[:2000], utcnow()
        await session.flush()
        return fit
    finished = utcnow()
    fitted: dict[str, dict[str, Any]] = results["skills"]
    await repo.upsert_params(
        session,
        fit.district_id,
        {
            code: {
                "prior": v["prior"],
                "learn": v["learn"],
                "guess": v["guess"],
                "slip": v["slip"],
                "forget": 0.0,
                "source": "fitted",
                "fit_id": fit.id,
                "response_count": v["response_count"],
                "updated_at": finished,
            }
            for code, v in fitted.items()
        },
    )
    fit.status, fit.finished_at = "succeeded", finished
    fit.response_count = len(observations)
    fit.skill_count = len(fitted)
    fit.results = results
    await session.flush()
    return fit


async def fit_district(
    session: AsyncSession, district_id: uuid.UUID, requested_by: str, min_responses: int
) -> MasteryFit:
    """Start and complete a run in the caller's transaction (the schedule)."""
    return await complete_fit(
        session, await start_fit(session, district_id, requested_by, min_responses)
    )


async def run_fit(db: Database, district_id: uuid.UUID, fit_id: uuid.UUID) -> None:
    """The background half of ``POST /v1/mastery/fits``: completes a run the request committed as
    ``running``, in a unit of work of its own; an unexpected error marks it ``failed`` (in a
    second one: the first rolled back with the error)."""
    try:
        async with unit_of_work(db) as session:
            fit = await repo.get_fit(session, district_id, fit_id)
            if fit is None or fit.status != "running":
                return
            await complete_fit(session, fit)
    except Exception as exc:
        logger.exception("BKT fit %s failed", fit_id)
        async with unit_of_work(db) as session:
            fit = await repo.get_fit(session, district_id, fit_id)
            if fit is not None and fit.status == "running":
                fit.status, fit.finished_at = "failed", utcnow()
                fit.error = f"{type(exc).__name__}: {exc}"[:2000]


async def get_fit(session: AsyncSession, principal: Principal, fit_id: uuid.UUID) -> MasteryFit:
    found = await repo.get_fit(session, principal.require_district(), fit_id)
    if found is None:
        raise NotFound("No such fit.", slug="fit-not-found")
    return found


async def list_fits(
    session: AsyncSession, principal: Principal, after: uuid.UUID | None, limit: int
) -> list[MasteryFit]:
    return await repo.list_fits(session, principal.require_district(), after, limit)


async def run_scheduled_fits(
    db: Database, interval_seconds: float, min_responses: int, rounds: int | None = None
) -> None:
    """The schedule: refit every district with responses, every ``interval_seconds``
    (``rounds`` bounds it, for tests)."""
    done = 0
    while rounds is None or done < rounds:
        await asyncio.sleep(interval_seconds)
        done += 1
        try:
            async with unit_of_work(db) as session:
                districts = await repo.districts_with_responses(session)
            # One unit of work per district: a district whose fit fails keeps what the others
            # committed.
            for district_id in districts:
                async with unit_of_work(db) as session:
                    await fit_district(session, district_id, "system:scheduled-fit", min_responses)
        except Exception:  # a failed round must not stop the schedule
            logger.exception("scheduled BKT fit failed")
