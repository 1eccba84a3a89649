"""BKT update, levels, decay, timing, IRT. (The mastery model's rule, evidence floor, multi-skill
credit and blame, forgetting and loss, is tested in test_mastery_model.py.)"""

import numpy as np
import pytest

from pathwise_assessment.domain import irt
from pathwise_assessment.domain.bkt import BktParams, decay, posterior, update
from pathwise_assessment.domain.mastery import (
    ItemEvidence,
    MasteryState,
    SkillModel,
    median,
    states_after,
)
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


def test_levels_ladder() -> None:
    """The levels follow P(known) and the evidence; mastered only through the model's gate."""
    params = {"A": SkillModel(prior=0.2, learn=0.15, guess=0.2, slip=0.1)}
    hard = ItemEvidence(("A",), difficulty=2.0)
    assert MasteryState(0.2).level == "not_started"
    assert states_after([(hard, False)], params)["A"].level == "attempted"
    assert states_after([(hard, True)] * 2, params)["A"].level in {"familiar", "proficient"}
    run = [(hard, True)] * 8
    assert states_after(run, params)["A"].level == "mastered"


def test_decay_moves_toward_prior_and_never_up() -> None:
    assert decay(0.96, 0.2, 180, 180) == pytest.approx(0.2 + 0.76 / 2)
    assert decay(0.1, 0.2, 365, 180) == 0.1
    assert decay(0.9, 0.2, 0, 180) == 0.9


def test_median() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0]) == 1.5 and median([]) is None


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
