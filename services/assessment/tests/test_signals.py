"""Evidence signals for early warnings: the pure summary of a learner's history, and
``POST /internal/signals`` over answers scored through the API (many learners, one call)."""

import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.domain.signals import (
    LEARN_GRID,
    RUN_RECENT,
    STUCK_LEARN,
    Answer,
    answer_chances,
    answer_p_correct,
    run_likelihood,
    stuck_posterior,
    summarize,
)
from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal

# The helpers that take checks live beside this module (tests are not a package: the folder
# goes on the path, and mypy, which reads them as files, does not follow the import).
sys.path.insert(0, str(Path(__file__).parent))
from test_assessment_mastery_api import TEACHER, make_check, make_items, take  # type: ignore[import-not-found]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row(
    k: int,
    code: str,
    correct: bool,
    p: float,
    after: float,
    mastered: bool,
    day: int = 0,
    item: rule.ItemEvidence | None = None,
) -> Answer:
    at = T0 + timedelta(days=day, minutes=k)
    return Answer(uuid.UUID(int=k), code, correct, p, after, mastered, at, item)


def _flat(parts: object) -> float:
    return 0.5


def _expected_wrong(rows: list[Answer], params: dict[str, rule.SkillModel]) -> float:
    found = summarize(
        uuid.uuid4(),
        rows,
        lambda parts: answer_p_correct(parts, params),
        window=20,
        answers_total=len(rows),
        first_answer_at=T0,
    )
    return found.recent.expected_wrong


def test_runs_restart_at_mastery_and_days_are_days_with_answers() -> None:
    rows = [
        _row(1, "A", False, 0.2, 0.15, False, day=0),
        _row(2, "A", True, 0.15, 0.5, False, day=0),
        _row(3, "A", True, 0.5, 0.96, True, day=3),  # mastered: A's run restarts
        _row(4, "B", False, 0.2, 0.1, False, day=3),
        _row(5, "B", False, 0.1, 0.1, False, day=9),
    ]
    found = summarize(uuid.uuid4(), rows, _flat, window=20, answers_total=5, first_answer_at=T0)
    runs = {r.skill_code: r for r in found.skills}
    assert set(runs) == {"B"}  # A was mastered and has not been answered since
    assert (runs["B"].answers, runs["B"].practice_days) == (2, 2)  # days 3 and 9, not 7 days
    assert (runs["B"].p_start, runs["B"].p_now) == (0.2, 0.1)
    assert found.answers_since_mastery == 2 and found.practice_days_since_mastery == 2
    assert found.last_mastered_at == rows[2].at
    # Expected wrong: 0.5 each; observed: 3 of 5.
    assert found.recent.answers == 5 and found.recent.observed_wrong == 3
    assert found.recent.expected_wrong == pytest.approx(2.5)
    assert found.recent.variance == pytest.approx(1.25)


def test_p_recent_is_the_mean_over_the_runs_last_answers() -> None:
    """A stuck learner's P(known) swings with each lucky right answer; the mean over the run's
    last ``RUN_RECENT`` answers does not."""
    afters = [0.2, 0.2, 0.7, 0.25, 0.2, 0.65, 0.2, 0.2, 0.2, 0.3, 0.2, 0.75]
    rows = [_row(k, "A", a > 0.5, 0.2, a, False) for k, a in enumerate(afters, start=1)]
    found = summarize(uuid.uuid4(), rows, _flat, window=20, answers_total=12, first_answer_at=T0)
    run = found.skills[0]
    assert run.p_now == 0.75
    assert run.p_recent == pytest.approx(sum(afters[-RUN_RECENT:]) / RUN_RECENT)
    assert run.p_recent < 0.5
    # A run shorter than the window: the mean over all of it.
    short = summarize(uuid.uuid4(), rows[:3], _flat, window=20, answers_total=3, first_answer_at=T0)
    assert short.skills[0].p_recent == pytest.approx((0.2 + 0.2 + 0.7) / 3)


def test_a_multi_skill_answer_is_one_answer_right_only_if_every_skill_is() -> None:
    both = [_row(1, "A", True, 0.5, 0.6, False), _row(1, "B", True, 0.5, 0.6, False)]
    found = summarize(uuid.uuid4(), both, _flat, window=20, answers_total=1, first_answer_at=T0)
    assert found.recent.answers == 1
    assert found.recent.expected_wrong == pytest.approx(0.5)
    # Without the item: each skill's own guess and slip, right only if both are.
    params = {"A": rule.SkillModel(guess=0.2, slip=0.1), "B": rule.SkillModel(guess=0.3, slip=0.2)}
    chance_a, chance_b = 0.5 * 0.9 + 0.5 * 0.2, 0.5 * 0.8 + 0.5 * 0.3
    assert _expected_wrong(both, params) == pytest.approx(1.0 - chance_a * chance_b)


def test_expected_errors_use_the_items_own_guess_and_slip() -> None:
    """A wrong answer is expected as often as the mastery model expected it when it scored the
    answer: more on a hard item than on an easy one at the same P(known)."""
    params = {"A": rule.SkillModel()}
    hard = rule.ItemEvidence(("A",), difficulty=2.0)
    easy = rule.ItemEvidence(("A",), difficulty=-2.0)
    on_hard = _expected_wrong([_row(1, "A", False, 0.6, 0.4, False, item=hard)], params)
    on_easy = _expected_wrong([_row(1, "A", False, 0.6, 0.4, False, item=easy)], params)
    on_skill = _expected_wrong([_row(1, "A", False, 0.6, 0.4, False)], params)
    assert on_hard > on_skill > on_easy
    assert on_hard == pytest.approx(1.0 - rule.item_p_correct({"A": 0.6}, hard, params))
    assert on_hard - on_easy > 0.2


def test_a_choice_item_is_expected_right_at_least_at_its_guess_floor() -> None:
    """A learner who does not know the skill picks one of four options right one time in four,
    however hard the item: the expectation says so (the skill's guess alone would not)."""
    four = {"type": "single_choice", "choices": [{"id": k} for k in "abcd"], "correct": "a"}
    choice = rule.ItemEvidence(("A",), difficulty=2.0, guess_floor=guess_chance(four))
    params = {"A": rule.SkillModel(guess=0.15, slip=0.1)}
    right = [_row(1, "A", True, 0.01, 0.05, False, item=choice)]
    assert 1.0 - _expected_wrong(right, params) >= 0.25
    assert 1.0 - _expected_wrong([_row(1, "A", True, 0.01, 0.05, False)], params) < 0.25


def test_a_multi_skill_item_is_expected_as_the_model_scores_it() -> None:
    """One P(correct) for the item: both skills known (with their P(known) before the answer)
    and no slip, or a guess of the item; the same likelihood the mastery update divides by."""
    params = {"A": rule.SkillModel(), "B": rule.SkillModel(guess=0.3)}
    item = rule.ItemEvidence(("A", "B"), difficulty=1.0)
    rows = [
        _row(1, "A", False, 0.9, 0.8, False, item=item),
        _row(1, "B", False, 0.3, 0.2, False, item=item),
    ]
    guess, slip = rule.item_guess_slip(item, params)
    joint = 0.9 * 0.3 * (1.0 - slip) + (1.0 - 0.9 * 0.3) * guess
    assert _expected_wrong(rows, params) == pytest.approx(1.0 - joint)
    # A known skill's posterior after the wrong answer is Bayes' rule over that likelihood.
    before = {"A": rule.MasteryState(0.9), "B": rule.MasteryState(0.3)}
    after = rule.apply_item_response(before, item, False, params)["A"]
    if_known = 0.3 * slip + 0.7 * (1.0 - guess)
    post = 0.9 * if_known / (1.0 - joint)
    model = params["A"]
    assert after.p_known == pytest.approx(post * (1.0 - model.forget) + (1.0 - post) * model.learn)


def test_the_window_keeps_the_latest_answers() -> None:
    rows = [_row(k, "A", k > 10, 0.3, 0.3, False) for k in range(1, 31)]
    found = summarize(uuid.uuid4(), rows, _flat, window=20, answers_total=30, first_answer_at=T0)
    assert found.recent.answers == 20 and found.recent.observed_wrong == 0


# A hard constructed-answer item: rarely guessed, rarely slipped (chances of an answer to it).
HARD_RIGHT, HARD_WRONG = (0.9, 0.05, True), (0.9, 0.05, False)


def test_the_run_likelihood_weighs_each_learn_rate() -> None:
    """Twenty wrong answers are likelier at a slow rate than at a fast one, and leave the skill
    unknown at every rate but for about the chance of learning from the last answer; a run that turns
    right is likelier fast and ends known."""
    stuck = run_likelihood([HARD_WRONG] * 20)
    assert list(stuck.log_likelihood) == sorted(stuck.log_likelihood, reverse=True)
    for rate, unknown in zip(LEARN_GRID, stuck.p_unknown, strict=True):
        assert 1.0 - 1.2 * rate < unknown <= 1.0 - rate
    learned = run_likelihood([HARD_WRONG] * 5 + [HARD_RIGHT] * 5)
    assert learned.log_likelihood[-1] > learned.log_likelihood[0]
    assert all(u < 0.01 for u in learned.p_unknown)
    # An answer impossible under the model (a right answer nobody could give) is no evidence.
    assert run_likelihood([(0.0, 0.0, True)]) == run_likelihood([])


def test_stuck_posterior_reads_the_learners_other_skills() -> None:
    """The same 15 wrong answers: likely stuck for a learner who learned nothing in two long runs
    before, not for one who learned two skills within a few answers each."""
    run = run_likelihood([HARD_WRONG] * 15)
    slow_before = [run_likelihood([HARD_WRONG] * 30)] * 2
    quick_before = [run_likelihood([HARD_WRONG] * 3 + [HARD_RIGHT] * 5)] * 2
    stuck_slow, rate_slow = stuck_posterior(run, slow_before)
    stuck_quick, rate_quick = stuck_posterior(run, quick_before)
    stuck_new, _ = stuck_posterior(run, [])
    assert stuck_slow > 0.9
    assert stuck_quick < 0.5
    assert stuck_quick < stuck_new < stuck_slow
    assert rate_slow < STUCK_LEARN < rate_quick
    # Without any other run the prior is flat over the grid; the skill's own share keeps even a
    # learner who learns everything else quickly from being certain on this one.
    flat, _ = stuck_posterior(run_likelihood([]), [])
    below = sum(1 for rate in LEARN_GRID if rate < STUCK_LEARN) / len(LEARN_GRID)
    assert flat == pytest.approx(below * 0.5)  # half of the runs start known (RUN_START_P)
    assert stuck_posterior(run, quick_before, own_share=0.0)[0] < stuck_quick
    # Learned at the end of the run: not stuck, whatever the rate.
    assert (
        stuck_posterior(run_likelihood([HARD_WRONG] * 15 + [HARD_RIGHT] * 5), slow_before)[0] < 0.05
    )


def test_answer_chances_are_the_models_for_each_skill_of_the_item() -> None:
    params = {"A": rule.SkillModel(), "B": rule.SkillModel(guess=0.3)}
    single = rule.ItemEvidence(("A",), difficulty=1.0)
    guess, slip = rule.item_guess_slip(single, params)
    row = _row(1, "A", True, 0.4, 0.6, False, item=single)
    assert answer_chances([row], "A", params) == pytest.approx((1.0 - slip, guess, True))
    # A multi-skill item: right if known only when the other skill is known too.
    item = rule.ItemEvidence(("A", "B"), difficulty=1.0)
    rows = [_row(2, "A", False, 0.9, 0.8, False, item=item),
            _row(2, "B", False, 0.3, 0.2, False, item=item)]  # fmt: skip
    guess, slip = rule.item_guess_slip(item, params)
    known_a, unknown_a, correct = answer_chances(rows, "A", params)
    assert known_a == pytest.approx(0.3 * (1.0 - slip) + 0.7 * guess)
    assert unknown_a == pytest.approx(guess)
    assert correct is False
    # Without the item: the skill's own guess and slip.
    plain = _row(3, "B", True, 0.3, 0.5, False)
    assert answer_chances([plain], "B", params) == pytest.approx((0.9, 0.3, True))


def test_summarize_gives_each_run_its_stuck_posterior_from_the_other_runs() -> None:
    """A learner learns A in a few answers (a run closed by mastery), then fails B for 15
    answers: B's posterior reads A's quick learning; another learner failed A for 30 answers
    first (a run still open) and is likely stuck on B after the same answers."""
    item = rule.ItemEvidence(("A",), difficulty=2.0)
    params = {"A": rule.SkillModel(), "B": rule.SkillModel()}

    def chances(parts: Sequence[Answer], code: str) -> tuple[float, float, bool]:
        return answer_chances(parts, code, params)

    def rows_of(a_wrong: int, a_right: int) -> list[Answer]:
        rows = [_row(k, "A", False, 0.2, 0.2, False, item=item) for k in range(a_wrong)]
        rows += [_row(a_wrong + k, "A", True, 0.5, 0.9, k == a_right - 1, item=item)
                 for k in range(a_right)]  # fmt: skip
        start = a_wrong + a_right
        rows += [_row(start + k, "B", False, 0.2, 0.2, False, item=item) for k in range(15)]
        return rows

    def p_stuck_b(rows: list[Answer]) -> float:
        found = summarize(uuid.uuid4(), rows, _flat, window=20, answers_total=len(rows),
                          first_answer_at=T0, chances=chances)  # fmt: skip
        run = next(r for r in found.skills if r.skill_code == "B")
        assert run.p_stuck is not None and run.learn_rate is not None
        return run.p_stuck

    quick = p_stuck_b(rows_of(2, 5))
    slow = p_stuck_b(rows_of(30, 0))
    assert quick < 0.5 < slow
    # Without the answer chances: no posterior.
    plain = summarize(uuid.uuid4(), rows_of(2, 5), _flat, window=20, answers_total=22,
                      first_answer_at=T0)  # fmt: skip
    assert [r.p_stuck for r in plain.skills] == [None]


async def test_signals_of_many_learners_in_one_call(api: ServiceClient) -> None:
    code = "4.NF.B.3"
    items = await make_items(api, code, 3)
    check = await make_check(api, code, items)
    wrong, right, idle = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for _ in range(3):
        await take(api, check, wrong, "a")
    await take(api, check, right, "b")
    body = {"learner_ids": [str(wrong), str(right), str(idle)]}
    answer = await api.post("/internal/signals", json=body, headers=api.as_(TEACHER))
    assert answer.status_code == 200, answer.text
    got = {row["learner_id"]: row for row in answer.json()["learners"]}
    assert list(got) == [str(wrong), str(right), str(idle)]
    stalled = got[str(wrong)]
    assert stalled["answers_total"] == 9 and stalled["recent"]["observed_wrong"] == 9
    assert 0 < stalled["recent"]["expected_wrong"] < 9
    (run,) = stalled["skills"]
    assert run["skill_code"] == code and run["answers"] == 9 and not run["mastered"]
    assert run["p_now"] < run["p_start"] + 0.3
    assert 0.0 <= run["p_recent"] <= 1.0
    assert 0.0 <= run["p_stuck"] <= 1.0
    assert 0.0 < run["learn_rate"] < 1.0
    assert got[str(right)]["recent"]["observed_wrong"] == 0
    assert got[str(idle)]["answers_total"] == 0 and got[str(idle)]["skills"] == []
    # Another district sees none of it; bad bodies are problems.
    outsider = make_principal(OTHER_DISTRICT, roles=["district_admin"])
    other = await api.post("/internal/signals", json=body, headers=api.as_(outsider))
    assert other.status_code == 200
    assert all(row["answers_total"] == 0 for row in other.json()["learners"])
    bad_bodies = [{}, {"learner_ids": []}, {"learner_ids": ["x"]}, {**body, "x": 1}]
    for bad in bad_bodies:
        refused = await api.post("/internal/signals", json=bad, headers=api.as_(TEACHER))
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"


async def test_signals_expect_errors_from_the_answered_items_version(api: ServiceClient) -> None:
    """The read joins each answer's item version: the same wrong first answer (P(known) at the
    prior) is expected more on a hard item than on an easy one."""
    code = "4.NF.B.3"
    expected = {}
    for difficulty in (2.5, -2.5):
        check = await make_check(api, code, await make_items(api, code, 1, difficulty))
        learner = uuid.uuid4()
        await take(api, check, learner, "a")  # wrong
        answer = await api.post(
            "/internal/signals",
            json={"learner_ids": [str(learner)]},
            headers=api.as_(TEACHER),
        )
        assert answer.status_code == 200, answer.text
        (row,) = answer.json()["learners"]
        assert row["recent"]["answers"] == 1 and row["recent"]["observed_wrong"] == 1
        expected[difficulty] = row["recent"]["expected_wrong"]
    # The skill's own guess and slip (defaults) would expect 1 - (0.2 * 0.9 + 0.8 * 0.2) = 0.66
    # for both.
    prior = rule.SkillModel().prior
    for difficulty, got in expected.items():
        item = rule.ItemEvidence((code,), difficulty, guess_floor=0.1)  # ten options
        want = 1.0 - rule.item_p_correct({code: prior}, item, {})
        assert got == pytest.approx(want, abs=1e-6), difficulty
    assert expected[2.5] > expected[-2.5] + 0.3
