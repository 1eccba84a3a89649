"""The EM fitter recovers known parameters and agrees with pyBKT (its C++ build) on the same data."""

import warnings

import numpy as np
import pytest

from pathwise_assessment.domain.bkt_fit import (
    build_sequences,
    fit_em,
    log_likelihood,
    predict_correct,
    roc_auc,
)

TRUTH = [(0.3, 0.15, 0.2, 0.1), (0.5, 0.1, 0.25, 0.08), (0.2, 0.3, 0.15, 0.15)]


def synthetic(truth, n_learners: int, length: int, seed: int):
    """Responses from known BKT parameters, in time order (learner-major within each step)."""
    rng = np.random.default_rng(seed)
    skill, learner, correct = [], [], []
    for k, (prior, learn, guess, slip) in enumerate(truth):
        known = rng.random(n_learners) < prior
        for _ in range(length):
            right = np.where(known, rng.random(n_learners) > slip, rng.random(n_learners) < guess)
            skill.append(np.full(n_learners, k))
            learner.append(np.arange(n_learners))
            correct.append(right)
            known |= rng.random(n_learners) < learn
    return np.concatenate(skill), np.concatenate(learner), np.concatenate(correct).astype(int)


def test_em_recovers_known_parameters() -> None:
    skill, learner, correct = synthetic(TRUTH, 2000, 10, seed=1)
    result = fit_em(build_sequences(skill, learner, correct))
    assert result.converged
    for k, truth in enumerate(TRUTH):
        assert np.allclose(result.params(k), truth, atol=0.03), (k, result.params(k), truth)
    # The fit explains the data at least as well as the truth (it is the maximum likelihood).
    data = build_sequences(skill, learner, correct)
    at_truth = log_likelihood(data, *(np.array(col) for col in zip(*TRUTH, strict=True)))
    assert (result.log_likelihood >= at_truth - 1e-6).all()


def test_guess_and_slip_stay_below_half() -> None:
    # Data that prefers "known" to mean wrong answers: the constraint keeps the labels honest.
    rng = np.random.default_rng(5)
    skill = np.zeros(3000, dtype=int)
    learner = np.repeat(np.arange(300), 10)
    correct = (rng.random(3000) < 0.9).astype(int)
    result = fit_em(build_sequences(skill, learner, correct))
    assert result.guess[0] < 0.5 and result.slip[0] < 0.5


def test_sequences_keep_time_order_and_auc() -> None:
    data = build_sequences([0, 0, 1, 0], [7, 7, 7, 8], [0, 1, 1, 1])
    assert data.n_responses == 4 and list(data.responses_per_skill) == [3, 1]
    pred = predict_correct(
        data,
        *(np.array([0.5, 0.5]), np.array([0.0, 0.0]), np.array([0.2, 0.2]), np.array([0.1, 0.1])),
    )
    # First responses of each sequence are predicted from the prior alone.
    assert pred[0] == pytest.approx(0.55) and pred[2] == pytest.approx(0.55)
    assert pred[1] < 0.55  # after a wrong answer
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="same length"):
        build_sequences([0], [0, 1], [1])


def test_agrees_with_pybkt() -> None:
    """Same data, same model (no forgetting): parameters within 0.02 and log-likelihood within
    0.05 % of pyBKT's. pyBKT must be its compiled build: the pure-Python fallback is refused."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyBKT's own deprecation noise is not ours to fix
        import pyBKT.fit.E_step  # noqa: F401  (fails when only the pure-Python fallback is installed)
        from pyBKT.models import Model

        skill, learner, correct = synthetic(TRUTH[:2], 600, 12, seed=11)
        frame = pd.DataFrame(
            {
                "order_id": np.arange(skill.size),
                "user_id": learner,
                "skill_name": np.array(["s0", "s1"])[skill],
                "correct": correct,
            }
        )
        model = Model(seed=42, num_fits=5)
        model.fit(data=frame)
        table = model.params().reset_index()
    theirs = {(r["skill"], r["param"]): float(r["value"]) for _, r in table.iterrows()}
    data = build_sequences(skill, learner, correct)
    ours = fit_em(data)
    pybkt = [
        tuple(theirs[(f"s{k}", name)] for name in ("prior", "learns", "guesses", "slips"))
        for k in range(2)
    ]
    for k in range(2):
        assert np.allclose(ours.params(k), pybkt[k], atol=0.02), (ours.params(k), pybkt[k])
    ll_theirs = log_likelihood(data, *(np.array(col) for col in zip(*pybkt, strict=True)))
    assert np.allclose(ours.log_likelihood, ll_theirs, rtol=5e-4)
    assert (ours.log_likelihood >= ll_theirs - 1e-3).all()


def test_ragged_sequences_match_a_plain_forward_pass() -> None:
    """Sequences of different lengths (the prefix layout) give the same log-likelihood and
    predictions as the textbook forward pass written out one response at a time."""
    from pathwise_assessment.domain.bkt import BktParams, p_correct, update

    rng = np.random.default_rng(3)
    n = 400
    skill = rng.integers(0, 2, n)
    learner = rng.integers(0, 25, n)
    correct = (rng.random(n) < 0.6).astype(int)
    params = [BktParams(0.3, 0.1, 0.2, 0.1), BktParams(0.5, 0.2, 0.25, 0.05)]
    columns = [
        np.array([getattr(p, name) for p in params]) for name in ("prior", "learn", "guess", "slip")
    ]
    data = build_sequences(skill, learner, correct)
    lengths = np.concatenate([c.lengths for c in data.chunks])
    assert lengths.min() < lengths.max()  # really ragged
    expected_ll = np.zeros(2)
    expected_pred = np.zeros(n)
    known: dict[tuple[int, int], float] = {}
    for i in range(n):
        k, who = int(skill[i]), int(learner[i])
        p = known.get((k, who), params[k].prior)
        expected_pred[i] = p_correct(p, params[k])
        expected_ll[k] += np.log(expected_pred[i] if correct[i] else 1 - expected_pred[i])
        known[(k, who)] = update(p, bool(correct[i]), params[k])
    assert np.allclose(log_likelihood(data, *columns), expected_ll)
    assert np.allclose(predict_correct(data, *columns), expected_pred)
