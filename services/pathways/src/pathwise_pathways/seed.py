"""The pathways part of the demo district (``make run``), and the shared CCSS framework.

``seed_demo`` writes straight into this service's database before it starts: the shared Common
Core framework and an activity catalogue for the demo skills. ``seed_demo_live`` runs once every
service answers: it plans a pathway for each demo learner through this service's own API, as the
system principal of the demo district, so the plans read the live profiles and mastery. Both are
idempotent: ids are deterministic and a learner who has a pathway already is left alone.
"""

import asyncio

import httpx

from pathwise_pathways.demo_catalogue import demo_activities
from pathwise_pathways.models import outbox
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
    finally:
        await db.dispose()
    codes = {c for r in rows for c in r["skill_codes"]}
    lines.append(
        f"pathways: {len(fresh)} demo activities added for {len(codes)} skills"
        if fresh
        else "pathways: demo activities already present"
    )
    return lines


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

    async with create_http_client(urls["pathways"], timeout=30.0) as client:
        outcomes = await asyncio.gather(*(plan(client, key) for key in DEMO_LEARNERS))
    planned = outcomes.count("planned")
    kept = outcomes.count("kept")
    errors = [o for o in outcomes if o not in {"planned", "kept"}]
    lines = [f"pathways: {planned} demo pathways planned, {kept} already present"]
    if errors:
        lines.append(f"pathways: {len(errors)} demo pathways failed: " + "; ".join(errors[:3]))
    return lines
