"""Derived data obeys profile visibility, through the real gateway and services.

For every part a profile can hide from an audience (staff restrictions: accommodations and notes
from the student or guardians; learner consent: interests and goals from guardians or, where the
district allows it, teachers), the part is hidden, then every answer that audience can get about
the learner is collected (profile, pathway with its choice boards, pathway versions, attempts,
overview, mastery, the guardian's family summary, and for teachers the class's groups, insights and dashboard) and searched for
the hidden values and for what is derived from them (board reasons, time factors, goal
forecasts, insight flags). Before hiding, the same search must find something: the check can
fail, and the learner's data does produce derived values.

The module owns its stack: it changes a learner's profile, and it needs the district policy that
lets learners hide their parts from teachers (PROFILES_LEARNER_MAY_HIDE_FROM_TEACHERS).
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise_assessment.seed import item_id
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

N = 9  # learner-09: grade 3, teacher-01's class, guardian-09; no other test of this stack
LEARNER = demo_id("learner", f"learner-{N:02d}")
CLASS = demo_id("class", "grade3-math")
STUDENT, GUARDIAN, TEACHER = f"learner-{N:02d}", f"guardian-{N:02d}", "teacher-01"
# Every interest tag of the demo catalogue, so that boards surely carry "matches interest: …".
INTERESTS = ["space", "robots", "animals", "drawing", "soccer", "music", "cooking", "dinosaurs",
             "ocean", "sports", "cars", "art"]  # fmt: skip
ACCOMMODATIONS = [
    {"term": "extended_time", "factor": 1.5},
    {"term": "large_print"},
    {"term": "text_to_speech"},
]
NOTES = "Private note: prefers the quiet corner after lunch."


@dataclass(frozen=True)
class Seen:
    """Every answer an audience got about the learner: path → JSON body."""

    answers: dict[str, Any]

    def text(self) -> str:
        return json.dumps(self.answers)


# The settings themselves (which part is shared with whom) name parts, not their values; the
# family summary's ``labels`` are its fixed headings ("goals": "Goals"), the same for every child.
_SETTINGS = frozenset({"sharing", "restrictions", "labels"})


def _walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    yield key, value
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in _SETTINGS:
                yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)


def _keyed(seen: Seen, *keys: str) -> list[str]:
    """``key=value`` for every non-empty value of these keys anywhere in the answers."""
    return [f"{k}={v!r}" for k, v in _walk(seen.answers) if k in keys and v not in (None, [], {})]


def _texts(seen: Seen, *needles: str) -> list[str]:
    text = seen.text()
    return [n for n in needles if n in text]


# What must not show when a part is hidden: values of the part and what is derived from it.
def accommodation_leaks(seen: Seen) -> list[str]:
    return _keyed(seen, "accommodations", "time_factor") + _texts(
        seen, "large print", "text-to-speech", "extended_time", "accommodation_not_applied"
    )


def interest_leaks(seen: Seen) -> list[str]:
    return _keyed(seen, "interests") + _texts(
        seen, "matches interest", *(json.dumps(i) for i in INTERESTS)
    )


def goal_leaks(seen: Seen) -> list[str]:
    # The steps are the plan and stay; the goals, and what tells them, do not.
    # ``pace`` is also the profile's (visible) pace part: only the pathway's forecast list counts.
    forecasts = [
        f"pace={v!r}" for k, v in _walk(seen.answers) if k == "pace" and isinstance(v, list) and v
    ]
    return (
        _keyed(seen, "goals", "goal_codes", "due_date", "target_date")
        + forecasts
        + _texts(seen, "at risk of missing goal", "Understand fractions as parts of a whole",
                 "Multiply and divide within 100")
    )  # fmt: skip


def note_leaks(seen: Seen) -> list[str]:
    return _keyed(seen, "notes") + _texts(seen, "quiet corner")


@dataclass(frozen=True)
class Case:
    part: str
    audience: str
    viewer: str
    setter: str
    hide: dict[str, Any]
    show: dict[str, Any]
    leaks: Callable[[Seen], list[str]]
    derived: str
    """Something derived from the part (not the part itself) the viewer sees before hiding."""


def _restriction(part: str, key: str, value: bool) -> dict[str, Any]:
    return {"restrictions": {part: {key: value}}}


def _sharing(part: str, audience: str, value: bool) -> dict[str, Any]:
    return {"sharing": {part: {audience: value}}}


CASES = [
    Case("accommodations", "student", STUDENT, TEACHER,
         _restriction("accommodations", "hide_from_student", True),
         _restriction("accommodations", "hide_from_student", False), accommodation_leaks,
         "has large print"),
    Case("accommodations", "guardian", GUARDIAN, TEACHER,
         _restriction("accommodations", "hide_from_guardians", True),
         _restriction("accommodations", "hide_from_guardians", False), accommodation_leaks,
         "lacks text-to-speech"),
    Case("notes", "guardian", GUARDIAN, TEACHER,
         _restriction("notes", "hide_from_guardians", True),
         _restriction("notes", "hide_from_guardians", False), note_leaks, "quiet corner"),
    Case("interests", "guardian", GUARDIAN, STUDENT, _sharing("interests", "guardians", False),
         _sharing("interests", "guardians", True), interest_leaks, "matches interest: "),
    Case("goals", "guardian", GUARDIAN, STUDENT, _sharing("goals", "guardians", False),
         _sharing("goals", "guardians", True), goal_leaks, '"goal_codes": ["'),
    Case("interests", "teacher", TEACHER, STUDENT, _sharing("interests", "teachers", False),
         _sharing("interests", "teachers", True), interest_leaks, "matches interest: "),
    Case("goals", "teacher", TEACHER, STUDENT, _sharing("goals", "teachers", False),
         _sharing("goals", "teachers", True), goal_leaks, '"goal_codes": ["'),
]  # fmt: skip


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    env = {"PROFILES_LEARNER_MAY_HIDE_FROM_TEACHERS": "true"}
    directory = Path(tmp_path_factory.mktemp("visibility"))
    with (
        start_stack(directory, env=env) as stack,
        httpx.Client(base_url=stack.config.url("gateway"), timeout=30.0) as client,
    ):
        yield client


_LOGINS: dict[str, dict[str, str]] = {}


def _login(gw: httpx.Client, username: str) -> dict[str, str]:
    # One real login per demo user: the token endpoint is rate-limited like any other.
    if username not in _LOGINS:
        _LOGINS[username] = dev_login(gw, username)
    return _LOGINS[username]


def _patch_profile(gw: httpx.Client, username: str, body: dict[str, Any]) -> httpx.Response:
    headers = _login(gw, username)
    etag = gw.get(f"/v1/learners/{LEARNER}/profile", headers=headers).headers["etag"]
    return gw.patch(
        f"/v1/learners/{LEARNER}/profile", json=body, headers={**headers, "If-Match": etag}
    )


@pytest.fixture(scope="module")
def prepared(gateway: httpx.Client) -> httpx.Client:
    """learner-09 with accommodations (one extended time), every interest and a note; a pathway
    planned on them, a timed attempt, and a grouping of the class."""
    gw = gateway
    staff = _patch_profile(gw, TEACHER, {"accommodations": ACCOMMODATIONS, "notes": NOTES})
    assert staff.status_code == 200, staff.text
    mine = _patch_profile(gw, STUDENT, {"interests": INTERESTS})
    assert mine.status_code == 200, mine.text
    teacher = _login(gw, TEACHER)
    planned = gw.post(f"/v1/learners/{LEARNER}/pathway", json={}, headers=teacher)
    assert planned.status_code == 201, planned.text
    created = gw.post("/v1/assessments", headers=teacher, json={
        "kind": "skill_check", "title": "Timed check", "skill_codes": ["3.OA.C.7"],
        "time_limit_seconds": 600, "item_ids": [str(item_id("3.OA.C.7", 1))],
    })  # fmt: skip
    assert created.status_code == 201, created.text
    started = gw.post(
        f"/v1/assessments/{created.json()['id']}/attempts",
        json={"learner_id": str(LEARNER)},
        headers=_login(gw, STUDENT),
    )
    assert started.status_code == 201, started.text
    assert started.json()["deadline_at"]  # the student needs their deadline …
    assert started.json()["time_factor"] is None  # … not the accommodation behind it
    staff_view = gw.get(f"/v1/attempts/{started.json()['id']}", headers=teacher)
    assert staff_view.json()["time_factor"] == 1.5
    grouped = gw.post(f"/v1/classes/{CLASS}/groups", json={}, headers=teacher)
    assert grouped.status_code == 201, grouped.text
    return gw


def collect(gw: httpx.Client, username: str) -> Seen:
    """Every answer this audience can get about the learner (refused ones are left out)."""
    headers = _login(gw, username)
    base = f"/v1/learners/{LEARNER}"
    paths = [f"{base}/profile", f"{base}/goals", f"{base}/pathway", f"{base}/pathway/versions",
             f"{base}/overview", f"{base}/mastery", f"/v1/attempts?learner_id={LEARNER}",
             f"/v1/classes/{CLASS}/groups", f"/v1/classes/{CLASS}/insights",
             f"/v1/classes/{CLASS}/dashboard", f"/v1/me/children/{LEARNER}/summary"]  # fmt: skip
    answers: dict[str, Any] = {}
    for path in paths:
        answer = gw.get(path, headers=headers)
        assert answer.status_code < 500, (path, answer.text)
        if answer.status_code == 200:
            body = answer.json()
            if path.endswith("/dashboard") or path.endswith("/insights"):
                body = _only_learner(body)
            answers[path] = body
    for attempt in answers.get(f"/v1/attempts?learner_id={LEARNER}", {}).get("items", []):
        path = f"/v1/attempts/{attempt['id']}"
        answers[path] = gw.get(path, headers=headers).json()
    assert f"{base}/profile" in answers and f"{base}/pathway" in answers
    return Seen(answers)


def _only_learner(body: dict[str, Any]) -> dict[str, Any]:
    # Class views list every learner of the class: keep this learner's row (the others are not
    # the subject of these settings).
    rows = [
        r for r in body.get("learners", []) if str(LEARNER) in (r.get("id"), r.get("learner_id"))
    ]
    return {**body, "learners": rows}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.part}-from-{c.audience}")
def test_a_hidden_part_leaves_no_trace_in_what_the_audience_gets(
    prepared: httpx.Client, case: Case
) -> None:
    gw = prepared
    before = collect(gw, case.viewer)
    # The check can fail: before hiding, the viewer sees the part and what derives from it.
    assert case.leaks(before), f"{case.viewer} should see {case.part} before it is hidden"
    assert case.derived in before.text(), f"no derived data from {case.part} to check"
    hidden = _patch_profile(gw, case.setter, case.hide)
    assert hidden.status_code == 200, hidden.text
    try:
        seen = collect(gw, case.viewer)
        assert case.leaks(seen) == [], f"{case.part} leaks to {case.viewer}"
        assert case.part in seen.answers[f"/v1/learners/{LEARNER}/profile"]["hidden"]
        # Staff still see it, and planning still used it.
        if case.audience != "teacher":
            assert case.leaks(collect(gw, TEACHER))
    finally:
        restored = _patch_profile(gw, case.setter, case.show)
        assert restored.status_code == 200, restored.text


@pytest.mark.parametrize(
    ("username", "body", "field"),
    [
        (STUDENT, {"sharing": {"accommodations": {"teachers": False}}}, "sharing.accommodations"),
        (TEACHER, {"restrictions": {"accommodations": {"hide_from_teachers": True}}},
         "restrictions.accommodations.hide_from_teachers"),
    ],
)  # fmt: skip
def test_hiding_accommodations_from_teachers_is_refused(
    prepared: httpx.Client, username: str, body: dict[str, Any], field: str
) -> None:
    answer = _patch_profile(prepared, username, body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    error = answer.json()["errors"][0]
    assert error["field"] == f"body.{field}" and "legally required" in error["message"]
