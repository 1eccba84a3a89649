"""The pathways part of the demo district (``make run``), and the shared CCSS framework.

``seed_demo`` writes straight into this service's database before it starts: the shared Common
Core framework and an activity catalogue for the demo skills. ``seed_demo_live`` runs once every
service answers: it plans a pathway for each demo learner through this service's own API, as the
system principal of the demo district, so the plans read the live profiles and mastery. Both are
idempotent: ids are deterministic and a learner who has a pathway already is left alone.
"""

import asyncio
import struct
import uuid
import zlib
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.demo_catalogue import demo_activities
from pathwise_pathways.models import (
    ActivityConsent,
    PathwayProposal,
    PathwayProposalRevision,
    outbox,
)
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.service.frameworks import import_ccssm
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.http import create_http_client

__all__ = ["DEMO_LEARNERS", "DEMO_OWNER", "import_shared_frameworks", "seed_demo", "seed_demo_live"]

# The demo catalogue is the district's own (curated by its district admin, no school): every
# teacher uses it, only district admins change it (docs/pathways.md, "Ownership").
DEMO_OWNER = str(demo_id("user", "admin-district"))

# learner-01 … learner-30 at Riverside, learner-31 … learner-33 at Hillcrest (profiles seed).
DEMO_LEARNERS = [f"learner-{n:02d}" for n in range(1, 34)]


async def import_shared_frameworks(database_url: str) -> list[str]:
    """The shared CCSS framework (once); what it did, as lines worth printing."""
    db = Database(database_url, outbox=outbox)
    try:
        async with unit_of_work(db) as session:
            framework, created = await import_ccssm(session)
            report = framework.import_report
    finally:
        await db.dispose()
    if not created:
        return ["pathways: CCSS framework already imported"]
    return [
        f"pathways: imported CCSS math ({report['skills']} skills, "
        f"{report['edges'].get('prerequisite', 0)} prerequisites, "
        f"{report['edges'].get('related', 0)} conceptual connections, "
        f"{len(report['unmatched_edges'])} unmatched edges)"
    ]


async def seed_demo(database_url: str) -> list[str]:
    lines = await import_shared_frameworks(database_url)
    district = demo_id("district", "riverside")
    rows = [
        {**r, "owner_id": DEMO_OWNER, "owner_school_id": None} for r in demo_activities(district)
    ]
    db = Database(database_url, outbox=outbox)
    try:
        async with unit_of_work(db) as session:
            present = await activities_repo.existing_ids(session, [r["id"] for r in rows])
            fresh = [r for r in rows if r["id"] not in present]
            await activities_repo.insert_catalogue(session, district, fresh)
            beyond = await seed_beyond_and_plans(session, district)
    finally:
        await db.dispose()
    codes = {c for r in rows for c in r["skill_codes"]}
    lines.append(
        f"pathways: {len(fresh)} demo activities added for {len(codes)} skills"
        if fresh
        else "pathways: demo activities already present"
    )
    lines.append(beyond)
    return lines


# Learning beyond the classroom and a learner's own plan (issue 16, parts 6 and 7): an off-site
# field trip with guardian-02's consent for learner-02, and learner-02's proposed plan waiting
# for teacher-01. Fixed ids, so a second seed finds them. learner-01 is left without either:
# the through-the-gateway tests walk both from the start with that learner.
FIELD_TRIP_ID = demo_id("activity", "beyond/farmers-market")
CONSENT_ID = demo_id("consent", "learner-02/farmers-market")
PROPOSAL_ID = demo_id("proposal", "learner-02")


def field_trip(district: Any) -> dict[str, Any]:
    return {
        "id": FIELD_TRIP_ID,
        "district_id": district,
        "title": "Fractions at the farmers' market: weigh, share and price",
        "description": "3.NF.A.1: fractions as parts of a whole, with real produce.",
        "format": "hands_on",
        "difficulty": 2,
        "minutes": 150,
        "languages": ["en", "es"],
        "accessibility": [],
        "interest_tags": ["cooking", "outdoors"],
        "url": "https://learn.example.org/beyond/farmers-market",
        "skill_codes": ["3.NF.A.1"],
        "kind": "field_trip",
        "partner": "Riverside Farmers' Market",
        "place": "Market Square, Riverside",
        "starts_on": date(2027, 4, 17),
        "ends_on": date(2027, 4, 17),
        "supervisor_name": "Dana Ortega (market education lead)",
        "supervisor_phone": "+1 555 0100",
        "supervisor_email": "education@market.example.org",
        "requires_guardian_consent": True,
        "owner_id": DEMO_OWNER,
        "owner_school_id": None,
    }


async def seed_beyond_and_plans(session: AsyncSession, district: Any) -> str:
    if await activities_repo.existing_ids(session, [FIELD_TRIP_ID]):
        return "pathways: demo field trip and proposed plan already present"
    await activities_repo.insert_catalogue(session, district, [field_trip(district)])
    learner = demo_id("learner", "learner-02")
    session.add(
        ActivityConsent(
            id=CONSENT_ID,
            district_id=district,
            learner_id=learner,
            activity_id=FIELD_TRIP_ID,
            given_by=str(demo_id("user", "guardian-02")),
            note="Happy for her to go; she loves the market.",
        )
    )
    content = {
        "goals": [{"skill_code": "3.NF.A.3", "target_date": None}],
        "order": ["3.NF.A.1"],
        "choices": [{"skill_code": "3.NF.A.1", "activity_id": str(FIELD_TRIP_ID)}],
        "note": "I want to start fractions at the market trip, then compare fractions.",
    }
    session.add(
        PathwayProposal(
            id=PROPOSAL_ID,
            district_id=district,
            learner_id=learner,
            status="proposed",
            version=1,
            author=str(learner),
            author_role="student",
            **content,
        )
    )
    await session.flush()
    session.add(
        PathwayProposalRevision(
            proposal_id=PROPOSAL_ID,
            revision=1,
            change="proposed",
            actor=str(learner),
            actor_role="student",
            content=content,
        )
    )
    return "pathways: a demo field trip (consent for learner-02) and learner-02's proposed plan"


# Plans at once while seeding: each waits mostly on profiles and assessment (its live profile,
# mastery and placements), so eight in flight take the seed from about 3 s to about 1 s; more
# would only queue on SQLite's one writer.
SEED_CONCURRENCY = 8
SEED_ATTEMPTS = 3


async def seed_demo_live(urls: dict[str, str], secret: str) -> list[str]:
    """A pathway for each demo learner toward their own goals, through this service's API."""
    district = demo_id("district", "riverside")
    system = Principal(subject="system:demo-seed", kind="system", district_id=district)
    headers = {"Authorization": f"Bearer {issue_internal_token(system, secret)}"}
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def plan(client: httpx.AsyncClient, key: str) -> str:
        """``planned``, ``kept`` or the error of one learner's plan. A plan that met a busy
        moment (a 409 from a concurrent change, a 5xx from a slow neighbour) is tried again:
        it is safe to, since a learner who has a pathway is left alone."""
        learner = demo_id("learner", key)
        error = ""
        for attempt in range(SEED_ATTEMPTS):
            if attempt:
                await asyncio.sleep(0.5 * attempt)
            async with gate:
                existing = await client.get(f"/v1/learners/{learner}/pathway", headers=headers)
                if existing.status_code == 200:
                    return "kept" if attempt == 0 else "planned"
                response = await client.post(
                    f"/v1/learners/{learner}/pathway",
                    # Nothing is assumed of earlier grades: a demo pathway starts where the
                    # evidence (none yet) says, until a skill check or a diagnostic moves it on.
                    json={
                        "reason": "demo seed: planned toward the learner's own goals",
                        "assume_prior_grades": False,
                    },
                    headers=headers,
                )
            if response.status_code == 201:
                return "planned"
            error = f"{key}: {response.status_code} {response.text[:200]}"
            if response.status_code != 409 and response.status_code < 500:
                break
        return error

    async def learner(client: httpx.AsyncClient, key: str) -> tuple[str, str | None, str | None]:
        # The learner's portfolio and evidence right after their own plan, beside the other
        # learners' plans (after all of them, they added a second to make run's start).
        outcome = await plan(client, key)
        portfolio = (
            await seed_portfolio(client, headers, key) if key in PORTFOLIO_LEARNERS else None
        )
        evidence = await seed_evidence(client, secret) if key == EVIDENCE_LEARNER else None
        return outcome, portfolio, evidence

    async with create_http_client(urls["pathways"], timeout=30.0) as client:
        seeded = await asyncio.gather(*(learner(client, key) for key in DEMO_LEARNERS))
    outcomes = [outcome for outcome, _, _ in seeded]
    portfolio = [made for _, made, _ in seeded if made is not None]
    evidence = next(made for _, _, made in seeded if made is not None)
    planned = outcomes.count("planned")
    kept = outcomes.count("kept")
    errors = [o for o in outcomes if o not in {"planned", "kept"}]
    lines = [f"pathways: {planned} demo pathways planned, {kept} already present"]
    if errors:
        lines.append(f"pathways: {len(errors)} demo pathways failed: " + "; ".join(errors[:3]))
    failed = [p for p in portfolio if p]
    lines.append(
        f"pathways: demo portfolio artifacts for {len(PORTFOLIO_LEARNERS) - len(failed)} learners"
    )
    if failed:
        lines.append("pathways: demo portfolio failed: " + "; ".join(failed[:3]))
    lines.append(
        f"pathways: demo step evidence for {EVIDENCE_LEARNER} (a scored and a pending submission)"
        if not evidence
        else f"pathways: demo step evidence failed: {evidence}"
    )
    return lines


# A few demo learners have portfolio artifacts on their first step: a reflection (shared with
# guardians), a link, and a small drawing (a real PNG). Keyed requests, so a second seed run
# finds them instead of adding them again.
PORTFOLIO_LEARNERS = ["learner-01", "learner-02", "learner-11", "learner-31"]


def demo_png() -> bytes:
    """A 4x4 PNG, the same bytes every run."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes([40 * row, 120, 200 - 30 * row]) * 4 for row in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


async def seed_portfolio(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> str:
    """The learner's demo artifacts; an error line, or "" when all are there."""
    learner = demo_id("learner", key)
    pathway = await client.get(f"/v1/learners/{learner}/pathway", headers=headers)
    if pathway.status_code != 200 or not pathway.json().get("steps"):
        return f"{key}: no pathway"
    step = pathway.json()["steps"][0]
    common = {"step_id": step["id"], "skill_codes": [step["skill_code"]]}
    artifacts: list[tuple[dict[str, Any], tuple[str, bytes, str] | None]] = [
        (
            {
                **common,
                "kind": "text",
                "title": "What I learned this week",
                "body": f"I can explain {step['skill_code']} to a friend with a drawing.",
                "share_with_guardians": "true",
            },
            None,
        ),
        (
            {**common, "kind": "link", "title": "The video that helped me",
             "url": "https://www.khanacademy.org/math"},
            None,
        ),
        (
            {**common, "kind": "image", "title": "My number line"},
            ("number line.png", demo_png(), "image/png"),
        ),
    ]  # fmt: skip
    url = f"/v1/learners/{learner}/portfolio"
    for n, (fields, file) in enumerate(artifacts):
        keyed = {**headers, "Idempotency-Key": f"demo-portfolio-{key}-{n}"}
        files = {"file": file} if file else None
        made = await client.post(url, data=fields, files=files, headers=keyed)
        if made.status_code not in (200, 201):
            return f"{key}: {made.status_code} {made.text[:200]}"
    return ""


# Evidence in the learner's format (issue 16, part 5): teacher-03 allows writing and drawing on
# learner-29's current step with a rubric; learner-29 submitted a piece of writing, which
# teacher-03 scored (assessment counted it as mastery evidence), and a drawing that waits for
# its score. learner-29 (grade 5) is no test's own learner. Through this service's API as the
# teacher and the learner themself; an earlier seed's submissions are found and not repeated.
EVIDENCE_LEARNER = "learner-29"
EVIDENCE_TEACHER = "teacher-03"
EVIDENCE_RUBRIC = {
    "criteria": [
        {
            "id": "reasoning",
            "description": "The reasoning is sound",
            "levels": [
                {"id": "beginning", "description": "Not yet", "points": 0},
                {"id": "developing", "description": "Partly", "points": 2},
                {"id": "secure", "description": "Fully", "points": 3},
            ],
        },
        {
            "id": "communication",
            "description": "It is clearly explained",
            "levels": [
                {"id": "unclear", "description": "Hard to follow", "points": 0},
                {"id": "clear", "description": "Clear", "points": 1},
            ],
        },
    ]
}
EVIDENCE_LEVELS = {"reasoning": "secure", "communication": "clear"}


async def seed_evidence(client: httpx.AsyncClient, secret: str) -> str:
    """The demo evidence rule and submissions; an error, or "" when all are there."""
    district = demo_id("district", "riverside")
    learner = demo_id("learner", EVIDENCE_LEARNER)
    teacher_id = demo_id("user", EVIDENCE_TEACHER)

    def as_(subject: uuid.UUID, role: str) -> dict[str, str]:
        who = Principal(
            subject=str(subject), district_id=district, roles=frozenset({role}), user_id=subject
        )
        return {"Authorization": f"Bearer {issue_internal_token(who, secret)}"}

    teacher, student = as_(teacher_id, "teacher"), as_(learner, "student")
    base = f"/v1/learners/{learner}/pathway"
    done = await client.get(f"{base}/evidence", headers=teacher)
    if done.status_code != 200:
        return f"{done.status_code} {done.text[:200]}"
    submissions = done.json()["items"]
    if any(s["status"] == "scored" for s in submissions) and any(
        s["status"] == "pending" for s in submissions
    ):
        return ""
    pathway = await client.get(base, headers=teacher)
    ready = sorted(
        (s for s in pathway.json().get("steps", []) if s["status"] == "ready"),
        key=lambda s: s["position"],
    )
    if pathway.status_code != 200 or not ready:
        return f"{EVIDENCE_LEARNER}: no current step"
    step = ready[0]
    url = f"{base}/steps/{step['id']}"
    rule = await client.get(f"{url}/evidence-rule", headers=teacher)
    if rule.status_code == 200 and not rule.json()["formats"]:
        rule = await client.put(
            f"{url}/evidence-rule",
            json={"formats": ["writing", "drawing"], "rubric": EVIDENCE_RUBRIC},
            headers={**teacher, "If-Match": rule.json()["etag"]},
        )
    if rule.status_code != 200:
        return f"rule {rule.status_code} {rule.text[:200]}"
    works = [
        ({"kind": "text", "title": f"How I solved {step['skill_code']}",
          "body": "I drew both fractions as bars with the same number of parts, then added."},
         None),
        ({"kind": "image", "title": "My fraction bars"}, ("fraction bars.png", demo_png(), "image/png")),
    ]  # fmt: skip
    for n, (fields, file) in enumerate(works):
        if len(submissions) > n:
            # Sent by an earlier seed; the first may still wait for its score if that seed
            # stopped between the two requests.
            if n == 0 and submissions[0]["status"] == "pending":
                failed = await score_first(client, url, submissions[0]["id"], teacher)
                if failed:
                    return failed
            continue
        keyed = {**student, "Idempotency-Key": f"demo-evidence-{EVIDENCE_LEARNER}-{n}"}
        made = await client.post(
            f"/v1/learners/{learner}/portfolio",
            data={**fields, "step_id": step["id"], "skill_codes": [step["skill_code"]]},
            files={"file": file} if file else None,
            headers=keyed,
        )
        if made.status_code not in (200, 201):
            return f"artifact {made.status_code} {made.text[:200]}"
        sent = await client.post(
            f"{url}/evidence", json={"artifact_id": made.json()["id"]}, headers=student
        )
        if sent.status_code != 201:
            return f"submission {sent.status_code} {sent.text[:200]}"
        submissions.append(sent.json())
        if n == 0:
            # The first is scored before the second is sent: one submission per step waits
            # for its score at a time.
            failed = await score_first(client, url, sent.json()["id"], teacher)
            if failed:
                return failed
    return ""


async def score_first(
    client: httpx.AsyncClient, url: str, submission_id: str, teacher: dict[str, str]
) -> str:
    scored = await client.post(
        f"{url}/evidence/{submission_id}/score",
        json={"levels": EVIDENCE_LEVELS, "comment": "Clear bars and a sound method."},
        headers=teacher,
    )
    return "" if scored.status_code == 200 else f"score {scored.status_code} {scored.text[:200]}"
