"""Guarded fitting (issue 14): minimum evidence, bounds, shrinkage toward the district's
parameters, and the report per skill (accepted, shrunk, rejected and why)."""

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pathwise_assessment.domain.bkt_fit import BOUNDS, guard_fit, guard_fits
from pathwise_assessment.domain.mastery import ItemEvidence, SkillModel, item_guess_slip
from pathwise_assessment.service.fits import fit_observations, fit_with_report

DEFAULT = (0.2, 0.15, 0.2, 0.1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(code: str, learners: int, length: int, seed: int, truth=(0.3, 0.15, 0.2, 0.1)):
    """(learner, correct, skills, time) rows from known BKT parameters, in time order."""
    prior, learn, guess, slip = truth
    rng = np.random.default_rng(seed)
    ids = [uuid.UUID(int=seed * 100_000 + k) for k in range(learners)]
    known = rng.random(learners) < prior
    out = []
    for t in range(length):
        right = np.where(known, rng.random(learners) > slip, rng.random(learners) < guess)
        out += [
            (ids[k], bool(right[k]), [code], T0 + timedelta(minutes=t)) for k in range(learners)
        ]
        known |= rng.random(learners) < learn
    return out


def test_a_prior_of_0_9999_on_11_responses_is_rejected_or_shrunk() -> None:
    corner = (0.9999, 0.3, 0.05, 0.3)
    one = guard_fit(corner, responses=11, learners=1, base=DEFAULT, min_responses=10)
    assert one.status == "rejected" and one.params is None
    assert [r["code"] for r in one.reasons] == ["too_few_learners"]
    three = guard_fit(corner, responses=11, learners=3, base=DEFAULT, min_responses=10)
    assert three.status == "shrunk" and three.params is not None
    assert three.params[0] < 0.35  # mostly the base: 3 learners weigh 3/23
    codes = {r["code"] for r in three.reasons}
    assert {"prior_out_of_bounds", "thin_data"} <= codes
    report = three.report()
    assert report["status"] == "shrunk" and report["fitted"]["prior"] == 0.9999  # type: ignore[index]
    assert report["learner_count"] == 3 and report["weight"] == pytest.approx(3 / 23, abs=1e-4)
    too_few = guard_fit(corner, responses=9, learners=5, base=DEFAULT, min_responses=10)
    assert too_few.status == "rejected"
    assert [r["code"] for r in too_few.reasons] == ["too_few_responses"]


def test_bounds_hold_whatever_the_fit() -> None:
    wild = (0.0001, 0.99, 0.4999, 0.4999)
    decision = guard_fit(wild, responses=10_000, learners=5_000, base=DEFAULT, min_responses=50)
    assert decision.params is not None
    for name, value in zip(("prior", "learn", "guess", "slip"), decision.params, strict=True):
        lo, hi = BOUNDS[name]
        assert lo <= value <= hi, (name, value)
    assert decision.status == "shrunk"  # clamped: not what EM said
    assert decision.params[2] <= 0.4 and decision.params[3] <= 0.4


def test_plenty_of_data_is_accepted_as_fitted_and_thin_data_shrunk() -> None:
    fit = (0.35, 0.12, 0.22, 0.08)
    many = guard_fit(fit, responses=20_000, learners=2_000, base=DEFAULT, min_responses=50)
    assert many.status == "accepted" and many.reasons == ()
    assert many.params == pytest.approx(fit, abs=0.01)
    thin = guard_fit(fit, responses=60, learners=6, base=DEFAULT, min_responses=50)
    assert thin.status == "shrunk" and thin.params is not None
    w = 6 / 26
    assert thin.params == pytest.approx(
        tuple(w * f + (1 - w) * d for f, d in zip(fit, DEFAULT, strict=True))
    )


def test_thin_skills_lean_on_the_district() -> None:
    fitted = {"big": (0.5, 0.1, 0.25, 0.05), "thin": (0.9999, 0.4, 0.01, 0.3)}
    decisions, district, learners = guard_fits(
        fitted,
        {"big": 5000, "thin": 20},
        {"big": 500, "thin": 4},
        min_responses=10,
        default=DEFAULT,
    )
    assert learners == 504 and decisions["big"].status == "accepted"
    assert district[0] == pytest.approx(0.5, abs=0.03)  # mostly the big skill's fit
    thin = decisions["thin"]
    assert thin.status == "shrunk" and thin.base_source == "district" and thin.params is not None
    assert thin.params[0] < 0.65 and thin.params[0] > 0.4  # toward the district's 0.5, not 0.9999


def test_the_fitting_job_reports_every_skill() -> None:
    observations = sorted(
        rows("4.NF.B.3", 300, 10, seed=1)
        + rows("3.OA.C.7", 1, 11, seed=2)
        + rows("5.NBT.A.1", 4, 12, seed=3),
        key=lambda r: r[3],
    )
    results = fit_with_report(observations, min_responses=10)
    report = results["report"]
    assert report["4.NF.B.3"]["status"] in {"accepted", "shrunk"}
    assert report["4.NF.B.3"]["weight"] > 0.9
    assert report["3.OA.C.7"]["status"] == "rejected"
    assert report["3.OA.C.7"]["params"] is None and "3.OA.C.7" not in results["skills"]
    assert report["5.NBT.A.1"]["status"] == "shrunk"
    stored = results["skills"]
    assert set(stored) == {"4.NF.B.3", "5.NBT.A.1"}
    assert stored["5.NBT.A.1"]["status"] == "shrunk" and stored["5.NBT.A.1"]["learner_count"] == 4
    assert all(0.01 <= v["prior"] <= 0.9 and v["guess"] <= 0.4 for v in stored.values())
    assert results["district"]["learner_count"] == 304
    # The older entry point returns what is stored, as before.
    assert set(fit_observations(observations, 10)) == set(stored)
    assert fit_with_report([], 10) == {"skills": {}, "report": {}, "district": None}


def test_the_fitting_job_fits_each_answer_with_its_items_guess() -> None:
    """Rows carrying their item (difficulty, guess floor) are fitted item-aware: the stored guess
    is the skill's base guess the model moves per item, not an average that counts the choice
    items' 1-in-4 floor in. Plain skill lists are fitted as average items without a floor."""
    rng = np.random.default_rng(21)
    base = SkillModel(0.3, 0.15, 0.1, 0.1)
    bank = [
        ItemEvidence(("4.NF.B.3",), float(b), 1.0, guess_floor=0.25 if k % 2 else 0.0)
        for k, b in enumerate(np.linspace(-2, 2, 10))
    ]
    ids = [uuid.UUID(int=k) for k in range(400)]
    known = rng.random(400) < base.prior
    observations = []
    for t in range(10):
        for k, who in enumerate(ids):
            item = bank[int(rng.integers(0, len(bank)))]
            guess, slip = item_guess_slip(item, {"4.NF.B.3": base})
            right = rng.random() > slip if known[k] else rng.random() < guess
            observations.append((who, bool(right), item, T0 + timedelta(minutes=t)))
        known |= rng.random(400) < base.learn
    aware = fit_observations(observations, 50)["4.NF.B.3"]
    assert aware["guess"] == pytest.approx(0.1, abs=0.03)
    plain = [(who, ok, list(item.skill_codes), at) for who, ok, item, at in observations]
    assert fit_observations(plain, 50)["4.NF.B.3"]["guess"] > 0.15
