"""BKT update, the mastery rule (hard evidence, multi-skill trap, loss), levels, decay, timing, IRT."""

import numpy as np
import pytest

from pathwise_assessment.domain import irt
from pathwise_assessment.domain.bkt import BktParams, decay, posterior, update
from pathwise_assessment.domain.mastery import MasteryState, apply_response, is_hard, median
from pathwise_assessment.domain.timing import time_factor

P = BktParams(prior=0.2, learn=0.15, guess=0.2, slip=0.1)


def test_bkt_update_matches_hand_computation() -> None:
    # correct: 0.2*0.9 / (0.2*0.9 + 0.8*0.2) = 0.18/0.34
    post = posterior(0.2, True, P)
    assert post == pytest.approx(0.18 / 0.34)
    assert update(0.2, True, P) == pytest.approx(post + (1 - post) * 0.15)
    assert update(0.2, False, P) < 0.2 + 0.15


def test_guess_and_slip_must_stay_below_half() -> None:
    with pytest.raises(ValueError, match="identifiability"):
        BktParams(guess=0.5)
    with pytest.raises(ValueError, match="identifiability"):
        BktParams(slip=0.6)


def _run(outcomes: list[tuple[bool, bool]], state: MasteryState | None = None) -> MasteryState:
    state = state or MasteryState(P.prior)
    for correct, hard in outcomes:
        state = apply_response(state, correct=correct, hard=hard, params=P)
    return state


def test_easy_items_alone_never_master() -> None:
    easy_only = _run([(True, False)] * 30)
    assert easy_only.p_known > 0.99 and not easy_only.mastered
    assert easy_only.level == "proficient"
    assert _run([(True, False)] * 30 + [(True, True)]).mastered


def test_multi_skill_items_let_every_skill_be_mastered() -> None:
    """The trap: a lesson whose harder items all carry two skills. Splitting credit or crediting
    only the first skill would leave the second one below the threshold forever; crediting each
    skill in full, judged against its own median difficulty, masters both."""
    items = [(-1.0, ["A"]), (-0.5, ["B"]), (1.0, ["A", "B"]), (1.2, ["A", "B"])]
    medians = {s: median([d for d, skills in items if s in skills]) for s in "AB"}
    states = {s: MasteryState(P.prior) for s in "AB"}
    for _ in range(6):
        for difficulty, skills in items:
            for s in skills:
                states[s] = apply_response(
                    states[s], correct=True, hard=is_hard(difficulty, medians[s]), params=P
                )
    assert all(st.mastered for st in states.values())
    # The naive rule (only the first skill of an item is credited) never masters B on hard items:
    naive = MasteryState(P.prior)
    for _ in range(6):
        for difficulty, skills in items:
            if skills[0] == "B":
                naive = apply_response(
                    naive, correct=True, hard=is_hard(difficulty, medians["B"]), params=P
                )
    assert not naive.mastered


def test_mastery_is_lost_after_repeated_failures_not_one_slip() -> None:
    mastered = MasteryState(P.prior)
    while not mastered.mastered:  # stop right at the threshold, as a real learner would
        mastered = _run([(True, True)], mastered)
    assert mastered.evidence_count < 10
    one_slip = _run([(False, True)], mastered)
    assert one_slip.mastered and one_slip.level == "mastered"
    two = _run([(False, True)] * 2, mastered)
    assert not two.mastered and two.level != "mastered"


def test_levels_ladder() -> None:
    assert MasteryState(0.2).level == "not_started"
    assert _run([(False, True)]).level == "attempted"
    assert _run([(True, True)] * 2).level in {"familiar", "proficient"}


def test_decay_moves_toward_prior_and_never_up() -> None:
    assert decay(0.96, 0.2, 180, 180) == pytest.approx(0.2 + 0.76 / 2)
    assert decay(0.1, 0.2, 365, 180) == 0.1
    assert decay(0.9, 0.2, 0, 180) == 0.9


def test_median_and_hard() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0]) == 1.5 and median([]) is None
    assert is_hard(2.0, 2.0) and not is_hard(1.9, 2.0) and is_hard(-5, None)


def test_extended_time_factor() -> None:
    assert time_factor([]) == 1.0
    assert time_factor([{"term": "extended_time", "factor": 1.5}, {"term": "breaks"}]) == 1.5
    assert time_factor([{"term": "Extended-Time"}]) == 1.5
    assert time_factor([{"term": "extended_time", "factor": 50}]) == 4.0
    assert time_factor([{"term": "scribe", "factor": 3}]) == 1.0


def test_select_next_takes_the_most_informative_unused_item() -> None:
    b = np.linspace(-3, 3, 61)
    a = np.ones_like(b)
    used = np.zeros(b.size, dtype=bool)
    best = irt.select_next(0.5, a, b, used, top_k=1)
    assert best is not None and b[best] == pytest.approx(0.5)
    used[best] = True
    second = irt.select_next(0.5, a, b, used, top_k=1)
    assert second is not None and abs(b[second] - 0.5) == pytest.approx(0.1)
    assert irt.select_next(0.0, a, b, np.ones(b.size, dtype=bool)) is None


def test_randomesque_exposure_spreads_items() -> None:
    b = np.linspace(-3, 3, 61)
    a = np.ones_like(b)
    rng = np.random.default_rng(7)
    picks = {
        irt.select_next(0.0, a, b, np.zeros(b.size, dtype=bool), top_k=5, rng=rng)
        for _ in range(200)
    }
    assert len(picks) == 5 and all(p is not None and abs(b[p]) <= 0.2 + 1e-9 for p in picks)


def test_eap_recovers_ability_and_shrinks_se() -> None:
    rng = np.random.default_rng(3)
    theta = 1.0
    b = rng.normal(0, 1.5, 60)
    a = np.full(60, 1.5)
    y = rng.random(60) < irt.p_correct(theta, a, b)
    few = irt.eap(a[:5].tolist(), b[:5].tolist(), y[:5].tolist())
    many = irt.eap(a.tolist(), b.tolist(), y.tolist())
    assert many.se < few.se < 1.0
    assert abs(many.theta - theta) < 2 * many.se
    assert irt.eap([], [], []).theta == pytest.approx(0.0, abs=1e-9)
    assert irt.should_stop(many, 60, target_se=0.5, max_items=100)
    assert irt.should_stop(few, 5, target_se=0.01, max_items=5)
