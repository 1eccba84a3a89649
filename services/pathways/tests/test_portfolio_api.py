"""The portfolio through pathways' API, with the real profiles and assessment apps in process
and the local file store in a temporary directory: artifacts on the learner's own step, files
sniffed and limited, nothing half-written, guardians seeing what is shared, teachers' feedback."""

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pathwise_devstack import testing
from pathwise_devstack.fixtures import app_fixture, database_fixture
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.app import create_app
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.models import outbox
from pathwise_pathways.seed import seed_demo
from pathwise_pathways.service import portfolio as portfolio_service
from pathwise_pathways.service.storage import LocalFileStore
from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id

sys.path.insert(0, str(Path(__file__).parent))
from test_portfolio_domain import HTML, png_bytes  # type: ignore[import-not-found]

DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-01")  # guardian-01's child, teacher-01's class
OTHER = demo_id("learner", "learner-02")
IMAGE_LIMIT = 64 * 1024

pf_db = database_fixture("pathways", scope="module")


@pytest.fixture(scope="module")
def pf_settings(
    pf_db: testing.TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> PathwaysSettings:
    return PathwaysSettings(
        database_url=pf_db.url,
        environment="test",
        outbox_relay=False,
        storage_dir=tmp_path_factory.mktemp("portfolio"),
        portfolio_max_image_bytes=IMAGE_LIMIT,
    )


pf = app_fixture(
    create_app,
    MIGRATIONS,
    "pf_settings",
    database="pf_db",
    upstreams={"profiles": "live_profiles", "assessment": "live_assessment"},
    seed=[seed_demo],
    scope="module",
)


def learner(lid: uuid.UUID = LEARNER) -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=lid)


def teacher() -> Principal:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def guardian() -> Principal:
    return make_principal(DISTRICT, roles=["guardian"], user_id=demo_id("user", "guardian-01"))


def store_of(app: ServiceClient) -> LocalFileStore:
    store = app.app.state.portfolio_store
    assert isinstance(store, LocalFileStore)
    return store


@pytest.fixture(scope="module")
async def steps(pf: ServiceClient) -> list[dict[str, Any]]:
    made = await pf.post(
        f"/v1/learners/{LEARNER}/pathway",
        json={"reason": "portfolio test"},
        headers=pf.as_(teacher()),
    )
    assert made.status_code == 201, made.text
    found: list[dict[str, Any]] = made.json()["steps"]
    assert found
    return found


async def add(
    pf: ServiceClient,
    fields: dict[str, Any],
    file: tuple[str, bytes, str] | None = None,
    *,
    who: Principal | None = None,
    key: str | None = None,
    lid: uuid.UUID = LEARNER,
) -> Any:
    headers = pf.as_(who or learner(lid))
    if key:
        headers["Idempotency-Key"] = key
    return await pf.post(
        f"/v1/learners/{lid}/portfolio",
        data=fields,
        files={"file": file} if file else None,
        headers=headers,
    )


async def events(pf: ServiceClient, kind: str) -> list[dict[str, Any]]:
    db = Database(pf.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == kind).order_by(outbox.c.id)
            )
            return [r[0] for r in rows]
    finally:
        await db.dispose()


async def test_a_text_artifact_on_the_learners_own_step(
    pf: ServiceClient, steps: list[dict[str, Any]]
) -> None:
    step = steps[0]
    made = await add(
        pf,
        {
            "kind": "text",
            "title": "How I think about fractions",
            "body": "A fraction is a number on the line.",
            "skill_codes": [step["skill_code"]],
            "step_id": step["id"],
        },
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["step_skill_code"] == step["skill_code"] and body["file"] is None
    assert body["share_with_guardians"] is False and body["etag"] == made.headers["etag"]
    added = [
        e
        for e in await events(pf, "portfolio.item_added")
        if e["data"]["artifact_id"] == body["id"]
    ]
    assert len(added) == 1
    assert set(added[0]["data"]) == {
        "learner_id",
        "artifact_id",
        "kind",
        "step_id",
        "goal_id",
        "skill_codes",
    }


async def test_a_png_is_stored_under_a_random_key_and_served_as_an_attachment(
    pf: ServiceClient, steps: list[dict[str, Any]]
) -> None:
    png = png_bytes(4, 4)
    made = await add(
        pf,
        {
            "kind": "image",
            "title": "My drawing",
            "step_id": steps[0]["id"],
            "share_with_guardians": "true",
        },
        ("../../my drawing é.png", png, "text/html"),  # the client's type is ignored
    )
    assert made.status_code == 201, made.text
    file = made.json()["file"]
    assert file["media_type"] == "image/png" and file["size_bytes"] == len(png)
    assert file["filename"] == "my drawing é.png"
    keys = store_of(pf).keys()
    assert keys and all("drawing" not in k for k in keys)
    got = await pf.get(file["download"], headers=pf.as_(learner()))
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment; filename=")
    assert "filename*=UTF-8''my%20drawing%20%C3%A9.png" in got.headers["content-disposition"]
    assert "sandbox" in got.headers["content-security-policy"]


async def test_a_png_that_is_really_html_is_415_and_nothing_is_kept(pf: ServiceClient) -> None:
    before = store_of(pf).keys()
    refused = await add(
        pf, {"kind": "image", "title": "not an image"}, ("cat.png", HTML, "image/png")
    )
    assert refused.status_code == 415, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/unsupported-file-type")
    assert store_of(pf).keys() == before


async def test_a_file_over_its_kinds_limit_is_413_and_nothing_is_kept(pf: ServiceClient) -> None:
    before = store_of(pf).keys()
    big = png_bytes() + b"\x00" * IMAGE_LIMIT
    refused = await add(pf, {"kind": "image", "title": "too big"}, ("big.png", big, "image/png"))
    assert refused.status_code == 413, refused.text
    assert refused.json()["type"].endswith("/file-too-large")
    assert store_of(pf).keys() == before


async def test_a_failed_insert_leaves_no_file(
    pf: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store_of(pf).keys()

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away mid-insert")

    monkeypatch.setattr(portfolio_service, "publish", broken)
    failed = await add(pf, {"kind": "image", "title": "lost"}, ("a.png", png_bytes(), "image/png"))
    assert failed.status_code == 500
    assert store_of(pf).keys() == before


async def test_a_step_the_learner_does_not_have_is_422(pf: ServiceClient) -> None:
    refused = await add(
        pf, {"kind": "text", "title": "x", "body": "y", "step_id": str(uuid.uuid4())}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/step-not-on-pathway")
    # Another learner's step is not this learner's either (learner-02 has no pathway here).
    refused = await add(pf, {"kind": "text", "title": "x", "body": "y"}, lid=OTHER)
    assert refused.status_code == 201  # their own portfolio needs no step
    refused = await add(
        pf, {"kind": "text", "title": "x", "body": "y", "step_id": str(uuid.uuid4())}, lid=OTHER
    )
    assert refused.status_code == 422


async def test_links_are_http_only(pf: ServiceClient) -> None:
    refused = await add(pf, {"kind": "link", "title": "x", "url": "javascript:alert(1)"})
    assert refused.status_code == 422 and refused.json()["type"].endswith("/artifact-content")
    made = await add(pf, {"kind": "link", "title": "My video", "url": "https://example.org/v"})
    assert made.status_code == 201


async def test_a_keyed_retry_gets_the_first_artifact(pf: ServiceClient) -> None:
    fields = {"kind": "image", "title": "retry"}
    first = await add(pf, fields, ("r.png", png_bytes(2, 2), "image/png"), key="pf-retry-1")
    again = await add(pf, fields, ("r.png", png_bytes(2, 2), "image/png"), key="pf-retry-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = await add(pf, fields, ("r.png", png_bytes(3, 3), "image/png"), key="pf-retry-1")
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")


async def test_guardians_see_what_is_shared_and_teachers_give_feedback(
    pf: ServiceClient, steps: list[dict[str, Any]]
) -> None:
    url = f"/v1/learners/{LEARNER}/portfolio"
    mine = (await pf.get(url, headers=pf.as_(learner()))).json()["items"]
    shared = [a for a in mine if a["share_with_guardians"]]
    hidden = [a for a in mine if not a["share_with_guardians"]]
    assert shared and hidden
    seen = (await pf.get(url, headers=pf.as_(guardian()))).json()["items"]
    assert [a["id"] for a in seen] == [a["id"] for a in shared]
    not_for_them = await pf.get(f"{url}/{hidden[0]['id']}", headers=pf.as_(guardian()))
    assert not_for_them.status_code == 404
    assert (
        await pf.get(f"{url}/{hidden[0]['id']}/file", headers=pf.as_(guardian()))
    ).status_code == 404

    noted = await pf.post(
        f"{url}/{hidden[0]['id']}/feedback",
        json={"body": "Clear reasoning!"},
        headers=pf.as_(teacher()),
    )
    assert noted.status_code == 201, noted.text
    assert [f["body"] for f in noted.json()["feedback"]] == ["Clear reasoning!"]
    assert any(
        e["data"]["artifact_id"] == hidden[0]["id"]
        for e in await events(pf, "portfolio.feedback_added")
    )

    # The learner shares it (If-Match), and the guardian sees it from then on.
    stale = await pf.patch(
        f"{url}/{hidden[0]['id']}", json={"share_with_guardians": True}, headers=pf.as_(learner())
    )
    assert stale.status_code == 428
    shared_now = await pf.patch(
        f"{url}/{hidden[0]['id']}",
        json={"share_with_guardians": True},
        headers={**pf.as_(learner()), "If-Match": hidden[0]["etag"]},
    )
    assert shared_now.status_code == 200, shared_now.text
    seen = (await pf.get(url, headers=pf.as_(guardian()))).json()["items"]
    assert hidden[0]["id"] in [a["id"] for a in seen]
    assert seen[-1]["feedback"] or any(a["feedback"] for a in seen)


async def test_a_district_that_never_shares_hides_everything_from_guardians(
    pf: ServiceClient,
) -> None:
    settings: PathwaysSettings = pf.app.state.settings
    url = f"/v1/learners/{LEARNER}/portfolio"
    # An artifact of this test's own, shared: the test must not lean on others run before it.
    own = await add(
        pf, {"kind": "text", "title": "mine", "body": "kept", "share_with_guardians": "true"}
    )
    assert own.status_code == 201, own.text
    settings.portfolio_guardian_sharing = "never"
    try:
        assert (await pf.get(url, headers=pf.as_(guardian()))).json()["items"] == []
        refused = await add(
            pf, {"kind": "text", "title": "x", "body": "y", "share_with_guardians": "true"}
        )
        assert refused.status_code == 422 and refused.json()["type"].endswith(
            "/guardian-sharing-off"
        )
        assert (await pf.get(url, headers=pf.as_(learner()))).json()["items"]
    finally:
        settings.portfolio_guardian_sharing = "allowed"
