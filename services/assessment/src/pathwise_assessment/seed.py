"""The assessment part of the demo district: items for the demo skills and a skill check per skill.

Written straight into this service's database before start (pathways may not be up yet, so the
skill codes are not resolved here: they are the Common Core codes the demo goals use). Ids are
deterministic (``demo_id``), so a second run adds nothing.
"""

import uuid

from pathwise_assessment.models import Assessment, Item, ItemVersion
from pathwise_assessment.repository import assessments as assessments_repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.schemas.items import ItemCreate
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

__all__ = ["DEMO_DISTRICT", "OWNER", "check_id", "item_id", "seed_demo"]

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
    finally:
        await db.dispose()
    if not added_items and not added_checks:
        return ["assessment: demo items and skill checks already present"]
    return [
        f"assessment: {added_items} demo items, {added_checks} skill checks ({len(DEMO_ITEMS)} skills)"
    ]
