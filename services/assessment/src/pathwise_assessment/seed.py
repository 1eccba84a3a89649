"""The assessment part of the demo district: items for the demo skills and a skill check per skill.

Written straight into this service's database before start (pathways may not be up yet, so the
skill codes are not resolved here: they are the Common Core codes the demo goals use). Ids are
deterministic (``demo_id``), so a second run adds nothing.

Motivation and credentials (issue 16, parts 8 and 9): ``seed_demo`` gives three grade-5 learners
a few earlier practice days; ``seed_demo_live`` then has them answer their current step's skill
check through this service's API, as themselves, so points, mastery, the streak and badges come
from the real answer path (with today's practice the streak reaches six days for one of them),
and that learner asks for a credential for the skill they mastered, and one for their goal that
profiles' seed made completed (its one target skill is that skill).
"""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from pathwise_assessment.models import Assessment, Item, ItemVersion, PracticeDay
from pathwise_assessment.repository import assessments as assessments_repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.schemas.items import ItemCreate
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.http import create_http_client
from pathwise_shared.timeutil import utcnow

__all__ = [
    "COMPLETED_GOAL",
    "CREDENTIAL_LEARNER",
    "DEMO_DISTRICT",
    "OWNER",
    "PRACTICE_LEARNERS",
    "PRACTICE_SKILL",
    "check_id",
    "item_id",
    "right_answer",
    "seed_demo",
    "seed_demo_live",
    "wrong_answer",
]

DEMO_DISTRICT = demo_id("district", "riverside")
AUTHOR = "seed:demo"
# The demo bank is the district's own (curated by its district admin, no school): every teacher
# uses it, only district admins change it (docs/assessment.md, "Ownership").
OWNER = str(demo_id("user", "admin-district"))


def item_id(code: str, n: int) -> uuid.UUID:
    return demo_id("item", f"{code}#{n}")


def check_id(code: str) -> uuid.UUID:
    return demo_id("assessment", f"skill-check/{code}")


async def seed_demo(database_url: str) -> list[str]:
    db = Database(database_url)
    added_items = added_checks = 0
    try:
        # One unit of work: the demo bank is written whole or not at all.
        async with unit_of_work(db) as session:
            now = utcnow()
            for code, items in DEMO_ITEMS.items():
                ids = []
                for n, raw in enumerate(items, start=1):
                    iid = item_id(code, n)
                    ids.append(iid)
                    if await items_repo.get_item(session, DEMO_DISTRICT, iid) is not None:
                        continue
                    body = ItemCreate.model_validate({**raw, "skill_codes": [code]})
                    await items_repo.add_item(
                        session,
                        Item(
                            id=iid,
                            district_id=DEMO_DISTRICT,
                            type=body.spec.type,
                            current_version=1,
                            status="active",
                            created_by=AUTHOR,
                            created_at=now,
                            updated_at=now,
                            owner_id=OWNER,
                            owner_school_id=None,
                        ),
                    )
                    await items_repo.add_version(
                        session,
                        ItemVersion(
                            id=demo_id("item-version", f"{code}#{n}@1"),
                            item_id=iid,
                            district_id=DEMO_DISTRICT,
                            version=1,
                            type=body.spec.type,
                            stem=body.stem,
                            skill_codes=[code],
                            points=body.points,
                            difficulty=body.difficulty,
                            discrimination=body.discrimination,
                            spec=body.spec.model_dump(mode="json"),
                            created_by=AUTHOR,
                            created_at=now,
                        ),
                    )
                    await items_repo.replace_skill_tags(
                        session, iid, DEMO_DISTRICT, [code], body.difficulty
                    )
                    added_items += 1
                aid = check_id(code)
                if await assessments_repo.get_assessment(session, DEMO_DISTRICT, aid) is None:
                    await assessments_repo.add_assessment(
                        session,
                        Assessment(
                            id=aid,
                            district_id=DEMO_DISTRICT,
                            kind="skill_check",
                            title=f"Skill check {code}",
                            skill_codes=[code],
                            created_by=AUTHOR,
                            created_at=now,
                            owner_id=OWNER,
                            owner_school_id=None,
                        ),
                        ids,
                    )
                    added_checks += 1
            practised = await seed_practice_history(session)
    finally:
        await db.dispose()
    lines = (
        [
            f"assessment: {added_items} demo items, {added_checks} skill checks ({len(DEMO_ITEMS)} skills)"
        ]
        if added_items or added_checks
        else ["assessment: demo items and skill checks already present"]
    )
    if practised:
        lines.append(f"assessment: earlier practice days for {practised} demo learners")
    return lines


# Grade-5 learners (teacher-03's class) whom no test takes from a fresh state. Per learner: the
# days before the seed on which they practised (answers per day), and whether they keep going
# on the check of PRACTICE_SKILL until it is mastered. PRACTICE_SKILL is their goal skill, a
# later step of their pathway, not its current step: mastering the current step would move the
# pathway on to a step the demo bank has no check for (the demo walk needs one on every
# learner's current step). learner-26 has practised on five of the
# last six days (one missed day, forgiven), so today's answers make a streak of six and earn
# `streak_5`; learners 26 and 27 master their step (`first_mastery`, 10 points); learner-28
# has only practised. The earlier days are counts only (`practice_days`, what the streak and the
# practice points read): the demo has no earlier answers to show for them.
PRACTICE_LEARNERS: dict[str, tuple[dict[int, int], bool]] = {
    "learner-26": ({6: 4, 5: 3, 4: 5, 2: 4, 1: 3}, True),
    "learner-27": ({3: 4, 1: 2}, True),
    "learner-28": ({2: 3, 1: 4}, False),
}
CREDENTIAL_LEARNER = "learner-26"
# The goal CREDENTIAL_LEARNER has completed, seeded by profiles (its ``COMPLETED_GOAL_KEY``; the
# services share no code but the demo ids): its one target skill is PRACTICE_SKILL, so the
# learner asks a credential for it too.
COMPLETED_GOAL = demo_id("goal", f"{CREDENTIAL_LEARNER}/completed")
PRACTICE_SKILL = "5.NF.A.1"
# Fixed-form checks answered right at most this often per learner (the demo checks have four
# items; two or three checks reach the evidence floor).
MAX_CHECKS = 6


async def seed_practice_history(session: Any) -> int:
    """Earlier practice days for the practice learners who have none yet (first seed only: a
    later ``make run`` leaves the real practice since alone). How many learners got them."""
    today = utcnow().date()
    added = 0
    for key, (days, _master) in PRACTICE_LEARNERS.items():
        learner = demo_id("learner", key)
        known = await session.scalar(
            select(func.count())
            .select_from(PracticeDay)
            .where(PracticeDay.district_id == DEMO_DISTRICT, PracticeDay.learner_id == learner)
        )
        if known:
            continue
        for back, answers in days.items():
            session.add(
                PracticeDay(
                    district_id=DEMO_DISTRICT,
                    learner_id=learner,
                    day=today - timedelta(days=back),
                    answers=answers,
                )
            )
        added += 1
    return added


def right_answer(spec: dict[str, Any]) -> dict[str, Any]:
    """The answer the demo item's key accepts (the demo bank's item types)."""
    kind = spec["type"]
    if kind == "single_choice":
        return {"choice": spec["correct"]}
    if kind == "numeric":
        value = {"value": spec["value"]}
        return {**value, "unit": spec["unit"]} if spec.get("unit") else value
    if kind == "short_text":
        return {"text": spec["accepted"][0]}
    if kind == "multiple_select":
        return {"choices": spec["correct"]}
    if kind == "ordering":
        return {"order": spec["order"]}
    raise ValueError(f"no right answer known for a {kind} item")


def wrong_answer(spec: dict[str, Any]) -> dict[str, Any]:
    """An answer the demo item's key refuses (for tests of a learner who struggles)."""
    kind = spec["type"]
    if kind == "single_choice":
        return {"choice": next(c["id"] for c in spec["choices"] if c["id"] != spec["correct"])}
    if kind == "numeric":
        return {"value": spec["value"] + 7}
    if kind == "short_text":
        return {"text": "no idea"}
    if kind == "multiple_select":
        wrong = next(c["id"] for c in spec["choices"] if c["id"] not in spec["correct"])
        return {"choices": [wrong]}
    if kind == "ordering":
        return {"order": spec["order"][::-1]}
    raise ValueError(f"no wrong answer known for a {kind} item")


def _as(principal: Principal, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_internal_token(principal, secret)}"}


async def _answer_checks(
    client: httpx.AsyncClient,
    me: dict[str, str],
    key: str,
    learner: uuid.UUID,
    code: str,
    master: bool,
) -> str:
    """The learner answers the skill's check right until it is mastered, or (``master`` off)
    answers its first two items right and finishes: the skipped items count as wrong, and two
    right answers are never enough evidence, so the skill is practised, not mastered. "" or an
    error."""
    keys = {str(item_id(code, n)): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[code], start=1)}
    for checks in range(1, MAX_CHECKS + 1):
        started = await client.post(
            f"/v1/assessments/{check_id(code)}/attempts",
            json={"learner_id": str(learner)},
            headers={**me, "Idempotency-Key": f"demo-practice-{key}-{checks}"},
        )
        if started.status_code not in (200, 201):
            return f"{key}: {started.status_code} {started.text[:200]}"
        attempt = started.json()
        for shown in attempt["items"] if master else attempt["items"][:2]:
            put = await client.put(
                f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
                json={"answer": right_answer(keys[shown["item_id"]])},
                headers=me,
            )
            if put.status_code != 200:
                return f"{key}: {put.status_code} {put.text[:200]}"
        finished = await client.post(f"/v1/attempts/{attempt['id']}/finish", headers=me)
        if finished.status_code != 200:
            return f"{key}: {finished.status_code} {finished.text[:200]}"
        if not master:
            return ""
        states = await client.get(f"/v1/learners/{learner}/mastery", headers=me)
        if any(s["skill_code"] == code and s["mastered"] for s in states.json()["skills"]):
            return ""
    return f"{key}: {code} not mastered after {MAX_CHECKS} checks answered right"


async def _practise(client: httpx.AsyncClient, secret: str, key: str, master: bool) -> str:
    """One learner's practice (and the credential); "" or an error."""
    learner = demo_id("learner", key)
    me = _as(
        Principal(
            subject=str(learner),
            district_id=DEMO_DISTRICT,
            roles=frozenset({"student"}),
            user_id=learner,
        ),
        secret,
    )

    async def skills() -> list[dict[str, Any]]:
        got = await client.get(f"/v1/learners/{learner}/mastery", headers=me)
        got.raise_for_status()  # a read of a running service: a failure here is a bug, loud
        found: list[dict[str, Any]] = got.json()["skills"]
        return found

    # Done by an earlier seed? Mastered once (the motivation read counts skills ever mastered,
    # whatever decay did since) or, for a learner who only practises, any answer at all (the
    # earlier practice days are counts, not answers, so they leave mastery untouched).
    motivation = await client.get(f"/v1/learners/{learner}/motivation", headers=me)
    motivation.raise_for_status()
    mastered = motivation.json()["skills_mastered"] > 0
    practised = any(s["evidence_count"] for s in await skills())
    if not (mastered if master else practised):
        outcome = await _answer_checks(client, me, key, learner, PRACTICE_SKILL, master)
        if outcome:
            return outcome
    if key != CREDENTIAL_LEARNER:
        return ""
    held = await client.get(f"/v1/learners/{learner}/credentials", headers=me)
    held.raise_for_status()
    # Held once, revoked or not: a later seed leaves it (and a staff's revocation) alone.
    items = held.json()["items"]
    if not any(c["skill_code"] for c in items):
        outcome = await _ask_skill_credential(client, me, key, await skills())
        if outcome:
            return outcome
    if not any(c["goal_id"] == str(COMPLETED_GOAL) for c in items):
        return await _ask_goal_credential(client, me, key)
    return ""


async def _ask_skill_credential(
    client: httpx.AsyncClient, me: dict[str, str], key: str, states: list[dict[str, Any]]
) -> str:
    learner = demo_id("learner", key)
    mastered_codes = [s["skill_code"] for s in states if s["mastered"]]
    if not mastered_codes:
        # Mastered at an earlier seed and faded since: nothing to issue, and nothing wrong.
        return ""
    issued = await client.post(
        f"/v1/learners/{learner}/credentials",
        json={"skill_code": mastered_codes[0]},
        headers={**me, "Idempotency-Key": f"demo-credential-{key}"},
    )
    if issued.status_code not in (200, 201):
        return f"{key}: credential {issued.status_code} {issued.text[:200]}"
    return ""


async def _ask_goal_credential(client: httpx.AsyncClient, me: dict[str, str], key: str) -> str:
    """The credential for the learner's completed goal (profiles' seed made it ``achieved``;
    its target skill is PRACTICE_SKILL, mastered above): asked for like any learner would, so
    assessment checks the goal with profiles and the mastery here."""
    learner = demo_id("learner", key)
    issued = await client.post(
        f"/v1/learners/{learner}/credentials",
        json={"goal_id": str(COMPLETED_GOAL)},
        headers={**me, "Idempotency-Key": f"demo-goal-credential-{key}"},
    )
    if issued.status_code in (200, 201):
        return ""
    slug = str(issued.json().get("type", "")).rsplit("/", 1)[-1] if issued.content else ""
    # A demo district seeded before the goal existed has no such goal (profiles seeds its
    # district once), and a skill mastered at an earlier seed may have faded: nothing to issue.
    if slug in ("goal-not-found", "goal-skills-not-mastered"):
        return ""
    return f"{key}: goal credential {issued.status_code} {issued.text[:200]}"


async def seed_demo_live(urls: dict[str, str], secret: str) -> list[str]:
    """The practice learners answer their current step's check; one asks for a credential."""
    async with create_http_client(urls["assessment"], timeout=30.0) as client:
        outcomes = await asyncio.gather(
            *(
                _practise(client, secret, key, master)
                for key, (_days, master) in PRACTICE_LEARNERS.items()
            )
        )
    failed = [o for o in outcomes if o]
    lines = [
        f"assessment: demo practice and badges for {len(PRACTICE_LEARNERS) - len(failed)} "
        f"learners, a skill's and a goal's credential for {CREDENTIAL_LEARNER}"
    ]
    if failed:
        lines.append("assessment: demo practice failed: " + "; ".join(failed))
    return lines
