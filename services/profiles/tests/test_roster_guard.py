"""The mass-change guard, kind by kind (pure): users by role, the floor, the limits, the report."""

import uuid

import pytest

from pathwise_profiles.domain.roster_guard import (
    DEFAULT_MAX_SHARE,
    GUARD_KINDS,
    GuardLimits,
    check_guard,
)
from pathwise_profiles.domain.roster_plan import Existing, KindPlan, Link, Plan, Snapshot, Write


def _user(n: int, roles: set[str], status: str = "active") -> Existing:
    return Existing(uuid.UUID(int=n), status, {"username": f"u{n}"}, frozenset(roles))


def _deleted(sid: str, before: Existing) -> Write:
    return Write(before.id, sid, "tobedeleted", dict(before.values), before.roles,
                 changed=("status",), before=before)  # fmt: skip


def _district(students: int, teachers: int, enrollments: int) -> Snapshot:
    users = {f"st-{n}": _user(n, {"student"}) for n in range(students)}
    users |= {f"t-{n}": _user(1000 + n, {"teacher"}) for n in range(teachers)}
    rows = {f"e-{n}": Existing(uuid.UUID(int=5000 + n), "active", {}) for n in range(enrollments)}
    return Snapshot({"users": users, "enrollments": rows}, len(users) + len(rows), {}, set())


def test_deleting_every_student_trips_though_the_roster_share_is_small() -> None:
    # The demo district's case: 33 students in a roster of 127 rows (26 % overall).
    snapshot = _district(students=33, teachers=4, enrollments=90)
    users = snapshot.by_kind["users"]
    plan = Plan(
        kinds={"users": KindPlan(deletes=[_deleted(s, e) for s, e in users.items()
                                          if s.startswith("st-")])},
        errors=[], skipped=0,
    )  # fmt: skip
    assert plan.changes / snapshot.total_active < 0.5
    verdict = check_guard(plan, snapshot, GuardLimits())
    assert verdict.tripped == ["users:student"]
    report = verdict.report()
    assert report["kinds"]["users:student"] == {
        "active": 33, "created": 0, "updated": 0, "deleted": 33, "changed_share": 1.0,
        "max_share": DEFAULT_MAX_SHARE["users:student"], "tripped": True,
    }  # fmt: skip
    assert report["kinds"]["users:teacher"]["tripped"] is False
    assert "33 of 33 active students (100%; the limit is 20%)" in verdict.message()
    assert "force=true" in verdict.message()


def test_each_kind_has_its_own_limit_and_a_floor() -> None:
    snapshot = _district(students=10, teachers=10, enrollments=10)
    users = snapshot.by_kind["users"]
    enrollments = snapshot.by_kind["enrollments"]
    two_students = [_deleted(f"st-{n}", users[f"st-{n}"]) for n in range(2)]
    four_enrollments = [_deleted(f"e-{n}", enrollments[f"e-{n}"]) for n in range(4)]
    plan = Plan(
        kinds={"users": KindPlan(deletes=two_students),
               "enrollments": KindPlan(deletes=four_enrollments)},
        errors=[], skipped=0,
    )  # fmt: skip
    # 20 % of students is not over their 20 %; 40 % of enrollments is under their 50 %
    assert check_guard(plan, snapshot, GuardLimits()).tripped == []
    tighter = GuardLimits.with_overrides({"enrollments": 0.3, "users:student": 0.1})
    verdict = check_guard(plan, snapshot, tighter)
    assert verdict.tripped == ["enrollments"]  # two students are under the floor of three
    assert "4 of 10 active enrollments (40%; the limit is 30%)" in verdict.message()
    both = check_guard(plan, snapshot, GuardLimits.with_overrides(tighter.max_share, min_rows=2))
    assert both.tripped == ["users:student", "enrollments"]
    assert " and 4 of 10 active enrollments" in both.message()


def test_a_user_counts_under_its_roles_before_and_after() -> None:
    before = _user(1, {"student"})
    snapshot = Snapshot({"users": {"u1": before}}, 1, {}, set())
    promoted = Write(before.id, "u1", "active", {"username": "u1"}, frozenset({"teacher"}),
                     changed=("roles",), before=before)  # fmt: skip
    created = Write(uuid.UUID(int=2), "u2", "active", {}, frozenset({"guardian"}))
    link = Link(uuid.UUID(int=3), uuid.UUID(int=2), before.id, "parent", reactivate=True)
    plan = Plan({"users": KindPlan(creates=[created], updates=[promoted])}, [], 0, [link])
    kinds = check_guard(plan, snapshot, GuardLimits(min_rows=1)).report()["kinds"]
    assert kinds["users:student"]["updated"] == 1 and kinds["users:teacher"]["updated"] == 1
    assert kinds["users:guardian"]["created"] == 1
    assert kinds["guardian_links"]["updated"] == 1
    assert kinds["users:student"]["tripped"] is True  # 1 of 1 student changed
    assert kinds["users:teacher"]["tripped"] is False  # no active teacher to weigh against


def test_loaded_counts_win_over_the_rows_held() -> None:
    # A district's rows without a sourcedId count too: the loaded counts say so.
    snapshot = _district(students=3, teachers=0, enrollments=0)
    snapshot.active = {"users:student": 30}
    users = snapshot.by_kind["users"]
    plan = Plan({"users": KindPlan(deletes=[_deleted(s, e) for s, e in users.items()])}, [], 0)
    verdict = check_guard(plan, snapshot, GuardLimits())
    assert verdict.share("users:student") == 0.1 and verdict.tripped == []


@pytest.mark.parametrize(
    ("overrides", "min_rows", "words"),
    [
        ({"students": 0.1}, 3, "unknown guard kind"),
        ({"users:student": 0.0}, 3, "must be > 0"),
        ({"classes": 1.5}, 3, "must be > 0"),
        ({}, 0, "at least 1"),
    ],
)
def test_limits_are_checked(overrides: dict[str, float], min_rows: int, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        GuardLimits.with_overrides(overrides, min_rows)


def test_every_kind_has_a_default() -> None:
    assert set(DEFAULT_MAX_SHARE) == set(GUARD_KINDS)
