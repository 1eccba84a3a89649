"""The simulated school's own correctness (bench/school): the ground truth answers and learns as
designed, and the metric functions are right on small hand-made cases. The benchmark's numbers
are only as good as this instrument."""

import random
import sys
from datetime import timedelta
from pathlib import Path

import pytest

# bench/ is run as ``python -m bench`` from the repository root and is not an installed package:
# put the root on the path (as ``python -m`` does) so ``pytest`` finds it however it is started.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.school import adapters, drivers, metrics
from bench.school.truth import (
    Item,
    Learner,
    draw_learners,
    guess_of,
    make_bank,
    slip_of,
    subgraph,
)
from pathwise_assessment.domain import mastery as rule


def test_answers_follow_the_answer_model() -> None:
    sub = subgraph()
    rng = random.Random(1)
    known = {c: False for c in sub.codes}
    learner = Learner(0, 0.0, True, {c: 0.0 for c in sub.codes}, known)
    code = sub.codes[-1]
    for difficulty, choice in ((-2.0, False), (1.0, False), (1.0, True)):
        item = Item(1, (code,), difficulty, choice)
        rate = sum(learner.practise(sub, item, rng) for _ in range(20_000)) / 20_000
        assert rate == pytest.approx(guess_of(difficulty, choice), abs=0.015)
    learner.known = {c: True for c in sub.codes}
    item = Item(2, (code,), 1.5)
    rate = sum(learner.practise(sub, item, rng) for _ in range(20_000)) / 20_000
    assert rate == pytest.approx(1 - slip_of(1.5), abs=0.01)
    # Easy items are guessable, hard ones are not; a choice item never below 1 in 4.
    assert guess_of(-2.0) > 0.4 > 0.05 > guess_of(1.0)
    assert guess_of(3.0, choice=True) >= 0.25


def test_a_multi_skill_item_needs_every_skill() -> None:
    sub = subgraph()
    a, b = "4.NF.A.2", "4.NF.A.1"
    known = {c: True for c in sub.codes} | {b: False}
    learner = Learner(0, 0.0, True, {c: 0.0 for c in sub.codes}, known)
    item = Item(1, (a, b), 2.0)
    rng = random.Random(2)
    rate = sum(learner.practise(sub, item, rng) for _ in range(10_000)) / 10_000
    assert rate == pytest.approx(guess_of(2.0), abs=0.01)


def test_prior_knowledge_respects_prerequisites_and_learning_is_blocked() -> None:
    sub = subgraph()
    learners = draw_learners(sub, 300, seed=3)
    for learner in learners:
        for code in sub.codes:
            pre = sub.prereqs[code]
            if learner.known[code] and pre:
                assert sum(learner.known[p] for p in pre) / len(pre) >= 0.67
    assert 0.05 < sum(x.stalled for x in learners) / len(learners) < 0.3
    # A skill whose prerequisite is unknown is learned at a tenth of the rate.
    code = "4.NF.A.2"
    rng = random.Random(4)
    learned = {True: 0, False: 0}
    for ready in (True, False):
        for _ in range(4000):
            known = {c: ready for c in sub.codes} | {code: False}
            learner = Learner(0, 0.0, False, {c: 0.5 for c in sub.codes}, known)
            learner.practise(sub, Item(1, (code,), 0.0), rng)
            learned[ready] += learner.known[code]
    assert learned[True] / 4000 == pytest.approx(0.5, abs=0.03)
    assert learned[False] / 4000 == pytest.approx(0.05, abs=0.015)


def test_banks_have_the_asked_difficulties() -> None:
    sub = subgraph()
    easy = make_bank(sub, 1, low=-2.5, high=-1.0)
    assert all(-2.5 <= i.difficulty <= -1.0 for items in easy.items.values() for i in items)
    mixed = make_bank(sub, 1)
    multi = {i.id for items in mixed.items.values() for i in items if len(i.skills) == 2}
    assert multi
    assert all(len(items) >= 16 for items in mixed.items.values())


def test_auc_on_hand_made_cases() -> None:
    assert metrics.auc([False, True], [0.1, 0.9]) == 1.0
    assert metrics.auc([True, False], [0.1, 0.9]) == 0.0
    assert metrics.auc([True, False, True, False], [0.5, 0.5, 0.5, 0.5]) == 0.5
    # One positive below one negative out of 2 x 2 pairs: 3/4.
    assert metrics.auc([False, True, False, True], [0.1, 0.2, 0.3, 0.4]) == 0.75


def test_precision_recall_on_a_hand_made_case() -> None:
    result = metrics.precision_recall([True, True, False, False], [True, False, True, False])
    assert (result.precision, result.recall, result.flagged, result.positives) == (0.5, 0.5, 2, 2)


def test_empirical_params_and_oracle_filter() -> None:
    # Known at the start, two answers (one slip); a second sequence learns after its first answer.
    seqs: metrics.Sequences = {
        (0, "s"): [(0.2, 0.1, True, True), (0.2, 0.1, False, True)],
        (1, "s"): [(0.2, 0.1, True, False), (0.2, 0.1, True, True)],
    }
    prior, learn, guess, slip = metrics.empirical_params(seqs)["s"]
    assert (prior, learn, guess, slip) == (0.5, 1.0, 1.0, 1 / 3)
    p = metrics.oracle_filter([(0.2, 0.1, True, False), (0.2, 0.1, True, False)], 0.5, 0.0)
    assert p[0] == 0.5
    assert p[1] == pytest.approx(0.45 / (0.45 + 0.1))


def test_the_mastery_adapter_replays_the_rule() -> None:
    """Two right answers on a hard item, a day apart: the domain model's update with the default
    parameters (no fit), the second after decaying the first to its time, as the service does."""
    sub = subgraph()
    make_bank(sub, 5)
    book = adapters.MasteryBook()
    code = "4.NF.A.2"
    model = rule.skill_model(None)
    item = rule.ItemEvidence((code,), 5.0)
    state = rule.MasteryState(model.prior)
    first, second = drivers.instant(0), drivers.instant(0) + timedelta(days=1)
    book.answer([code], 5.0, True, first)
    state = rule.apply_item_response({code: state}, item, True, {code: model})[code]
    later = rule.current_state(state, model, first, second)
    assert later.p_known < state.p_known  # a day of decay is applied before the answer
    book.answer([code], 5.0, True, second)
    state = rule.apply_item_response({code: later}, item, True, {code: model})[code]
    assert book.p_known(code) == pytest.approx(state.p_known, abs=1e-12)
    assert book.states[code].state == state
    # A hard item is informative: both answers count towards the evidence floor.
    assert state.evidence_weight > 0 and state.evidence_count == 2
    # Reads decay to their time like the API's.
    month = second + timedelta(days=30)
    assert book.p_known(code, month) == pytest.approx(
        rule.current_state(state, model, second, month).p_known, abs=1e-12
    )


def test_needs_help_is_a_low_effective_rate_on_a_skill_not_learned_in_the_window() -> None:
    low = metrics.NEEDS_HELP_LEARN * 0.9
    assert metrics.needs_help(low, [False, False, False])
    # Learned at some point of the window (or known now): the flag is late, not right.
    assert not metrics.needs_help(low, [False, True, False])
    assert not metrics.needs_help(low, [False, False, True])
    # A learner who learns normally is not stuck, whatever the window says.
    assert not metrics.needs_help(metrics.NEEDS_HELP_LEARN, [False, False])


def test_effective_learn_is_a_tenth_while_a_prerequisite_is_unknown() -> None:
    sub = subgraph()
    code = "4.NF.A.2"
    known = {c: True for c in sub.codes} | {code: False}
    learner = Learner(0, 0.0, False, {c: 0.2 for c in sub.codes}, known)
    assert learner.effective_learn(sub, code) == 0.2
    learner.known[sub.prereqs[code][0]] = False
    assert learner.effective_learn(sub, code) == pytest.approx(0.02)
    assert learner.effective_learn(sub, code) < metrics.NEEDS_HELP_LEARN < 0.2


def test_stuck_episodes_on_a_hand_made_learner() -> None:
    low, normal = 0.01, 0.2
    moments = (
        [("A", normal, False)] * 3  # learning normally: not stuck
        + [("B", low, False)] * 12  # stuck on B: one episode from answer 4
        + [("C", low, False)] * 5  # stuck on C, but only 5 answers: too short
        + [("D", low, True)] * 4  # knows D: not stuck
        + [("E", low, False)] * 10  # stuck on E from answer 25, to the end
    )
    episodes = metrics.stuck_episodes(7, moments, min_answers=10)
    assert episodes == [metrics.Episode(7, "B", 4, 12), metrics.Episode(7, "E", 25, 10)]


def test_precision_per_raise_and_recall_per_episode() -> None:
    episodes = [metrics.Episode(1, "B", 4, 30), metrics.Episode(2, "E", 10, 30)]
    raises = [
        metrics.FlagRaise(1, 20, "no_progress", "B", True),  # 17th answer of B's episode
        metrics.FlagRaise(1, 60, "no_progress", "C", False),
        metrics.FlagRaise(2, 50, "no_progress", "E", True),  # 41st answer of E's: too late
        metrics.FlagRaise(2, 12, "error_rate_high", "F", True),  # another skill
    ]
    assert metrics.raise_precision(raises) == (0.75, 4, 3)
    assert metrics.raise_precision(raises, "no_progress") == (2 / 3, 3, 2)
    assert metrics.episode_recall(episodes, raises) == 0.5
    assert metrics.episode_recall(episodes, raises, within=41) == 1.0
    assert metrics.episode_recall(episodes, raises, "error_rate_high") == 0.0
    # Answers from a learner's first unknown step (counted 1 there) to the first raise after it.
    assert metrics.first_raise_after(raises, 1, 5) == 16
    assert metrics.first_raise_after(raises, 2, 51) is None
