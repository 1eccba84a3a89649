"""The EM fitter recovers known parameters and agrees with pyBKT (its C++ build) on the same data."""

import warnings

import numpy as np
import pytest

from pathwise_assessment.domain.bkt import BktParams
from pathwise_assessment.domain.bkt_fit import (
    build_sequences,
    fit_em,
    item_emissions,
    log_likelihood,
    predict_correct,
    roc_auc,
)
from pathwise_assessment.domain.mastery import (
    ItemEvidence,
    SkillModel,
    difficulty_shift,
    item_guess_slip,
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


# --- Item-aware fitting (issue 14): the fit scores each answer as the mastery model does. ---

# Base (prior, learn, guess, slip) of three skills whose banks mix typed-answer items with
# four-option choice items (guess floor 1/4) over difficulties -2.5..2.5.
ITEM_TRUTH = [(0.3, 0.15, 0.12, 0.08), (0.5, 0.1, 0.2, 0.12), (0.2, 0.25, 0.08, 0.15)]


def mixed_items(n_learners: int, length: int, seed: int):
    """Responses from the mastery model's own per-item guess and slip (``item_guess_slip``) of
    each skill's base parameters: (skill, learner, correct, difficulty, floor, known before)."""
    rng = np.random.default_rng(seed)
    columns: list[list[np.ndarray]] = [[] for _ in range(6)]
    for k, (prior, learn, guess, slip) in enumerate(ITEM_TRUTH):
        difficulty = rng.uniform(-2.5, 2.5, 24)
        floor = np.where(np.arange(24) % 2 == 0, 0.25, 0.0)
        model = {"s": SkillModel(prior, learn, guess, slip)}
        item_gs = np.array(
            [
                item_guess_slip(ItemEvidence(("s",), float(b), 1.0, guess_floor=float(f)), model)
                for b, f in zip(difficulty, floor, strict=True)
            ]
        )
        known = rng.random(n_learners) < prior
        for _ in range(length):
            item = rng.integers(0, 24, n_learners)
            g, s = item_gs[item, 0], item_gs[item, 1]
            right = np.where(known, rng.random(n_learners) > s, rng.random(n_learners) < g)
            for column, values in zip(
                columns,
                (np.full(n_learners, k), np.arange(n_learners), right.astype(int),
                 difficulty[item], floor[item], known.copy()),
                strict=True,
            ):  # fmt: skip
                column.append(values)
            known |= rng.random(n_learners) < learn
    return tuple(np.concatenate(c) for c in columns)


def test_item_emissions_are_the_models() -> None:
    """The fit's per-item guess and slip are ``domain.mastery.item_guess_slip``'s, floor, shift
    cap and clamp included."""
    rng = np.random.default_rng(8)
    n = 300
    b = rng.uniform(-6, 6, n)
    a = rng.uniform(0.3, 2.5, n)
    f = rng.choice([0.0, 1 / 15, 0.25, 1 / 3, 0.5], n)
    skill = rng.integers(0, 3, n)
    data = build_sequences(skill, np.arange(n), np.ones(n, dtype=int), 3,
                           difficulty=b, discrimination=a, floor=f)  # fmt: skip
    assert data.groups is not None
    base = [(0.2, 0.1), (0.03, 0.4), (0.45, 0.02)]
    guess, slip = (np.array(col) for col in zip(*base, strict=True))
    g_items, s_items = item_emissions(guess, slip, data.groups)
    for j in range(data.groups.skill.size):
        k = int(data.groups.skill[j])
        # Any response of the group: its item as the model sees it.
        i = next(i for i in range(n) if skill[i] == k and
                 abs(difficulty_shift(b[i], a[i]) - data.groups.shift[j]) < 1e-12 and
                 f[i] == data.groups.floor[j])  # fmt: skip
        model = {"s": SkillModel(0.2, 0.1, *base[k])}
        want = item_guess_slip(ItemEvidence(("s",), b[i], a[i], guess_floor=f[i]), model)
        assert (g_items[j], s_items[j]) == pytest.approx(want, abs=1e-12)


def test_item_aware_likelihood_is_the_models_step_by_step() -> None:
    """Forward pass on item-aware data = the mastery model's update written out per response
    (per-item guess and slip; no forgetting, as the fit)."""
    skill, learner, correct, b, f, _ = mixed_items(20, 15, seed=4)
    params = [BktParams(*t) for t in ITEM_TRUTH]
    columns = [
        np.array([getattr(p, name) for p in params]) for name in ("prior", "learn", "guess", "slip")
    ]
    data = build_sequences(skill, learner, correct, difficulty=b, floor=f)
    expected_ll = np.zeros(3)
    expected_pred = np.zeros(skill.size)
    known: dict[tuple[int, int], float] = {}
    for i in range(skill.size):
        k, who = int(skill[i]), int(learner[i])
        p = known.get((k, who), params[k].prior)
        model = {"s": SkillModel(*ITEM_TRUTH[k])}
        g, s = item_guess_slip(ItemEvidence(("s",), float(b[i]), guess_floor=float(f[i])), model)
        expected_pred[i] = p * (1 - s) + (1 - p) * g
        expected_ll[k] += np.log(expected_pred[i] if correct[i] else 1 - expected_pred[i])
        post = (
            p
            * ((1 - s) if correct[i] else s)
            / (expected_pred[i] if correct[i] else 1 - expected_pred[i])
        )
        known[(k, who)] = post + (1 - post) * params[k].learn
    assert np.allclose(log_likelihood(data, *columns), expected_ll)
    assert np.allclose(predict_correct(data, *columns), expected_pred)


def test_item_aware_fit_recovers_base_parameters_the_classic_fit_misses() -> None:
    """On banks mixing choice and typed items, the item-aware fit recovers each skill's base
    guess and slip; the classic fit (one guess for all items) averages the floored choice items
    in and misses them, and explains the data worse under the model's own emissions."""
    skill, learner, correct, b, f, known = mixed_items(1200, 12, seed=3)
    aware_data = build_sequences(skill, learner, correct, difficulty=b, floor=f)
    aware = fit_em(aware_data)
    classic = fit_em(build_sequences(skill, learner, correct))
    assert aware.converged
    aware_err = np.zeros(4)
    classic_err = np.zeros(4)
    for k, truth in enumerate(ITEM_TRUTH):
        assert np.allclose(aware.params(k), truth, atol=0.03), (k, aware.params(k), truth)
        aware_err += np.abs(np.subtract(aware.params(k), truth)) / 3
        classic_err += np.abs(np.subtract(classic.params(k), truth)) / 3
    assert classic_err[2] > 0.05 and aware_err[2] < classic_err[2] / 3  # guess
    assert aware_err[3] < classic_err[3] / 2  # slip
    # The item-aware fit is the maximum likelihood of the data under the model's emissions.
    at_truth = log_likelihood(aware_data, *(np.array(c) for c in zip(*ITEM_TRUTH, strict=True)))
    assert (aware.log_likelihood >= at_truth - 1e-6).all()
    as_classic = log_likelihood(aware_data, classic.prior, classic.learn, classic.guess,
                                classic.slip)  # fmt: skip
    assert (aware.log_likelihood > as_classic + 10).all()
    # P(correct) of each answer given the ones before ranks the true state better.
    p_aware = predict_correct(aware_data, aware.prior, aware.learn, aware.guess, aware.slip)
    p_classic = predict_correct(aware_data, classic.prior, classic.learn, classic.guess,
                                classic.slip)  # fmt: skip
    assert roc_auc(known, p_aware) > roc_auc(known, p_classic)


def test_item_data_is_checked() -> None:
    with pytest.raises(ValueError, match="one value per response"):
        build_sequences([0, 0], [0, 0], [1, 0], difficulty=[0.0])
    with pytest.raises(ValueError, match="finite"):
        build_sequences([0], [0], [1], difficulty=[float("nan")])
    with pytest.raises(ValueError, match="guess floors"):
        build_sequences([0], [0], [1], floor=[1.0])
    # No item data: classic BKT, one guess and slip per skill.
    assert build_sequences([0], [0], [1]).groups is None
