"""The smaller run through HTTP: a few demo learners, each with their own token, take a demo skill
check through the gateway a few times, answering from a simulated truth; the P(known) the API then
shows is compared with the same answers replayed in process through ``adapters.MasteryBook``.
"""

import random
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.common import running_stack
from bench.school import adapters
from pathwise_assessment.domain.scoring import guess_chance
from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_shared.demo import demo_id

__all__ = ["http_agreement"]

SKILLS = ("3.OA.C.7", "3.NF.A.1")


def _answer(spec: dict[str, Any], correct: bool) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "single_choice":
        choice = (
            spec["correct"]
            if correct
            else next(c["id"] for c in spec["choices"] if c["id"] != spec["correct"])
        )
        return {"choice": choice}
    if kind == "numeric":
        value = spec["value"] if correct else float(spec["value"]) + 1000.0
        return {"value": value, **({"unit": spec["unit"]} if spec.get("unit") else {})}
    if kind == "short_text":
        return {"text": spec["accepted"][0] if correct else "certainly not the answer"}
    if kind == "multiple_select":
        chosen = list(spec["correct"])
        if not correct:
            ids = [c["id"] for c in spec["choices"]]
            chosen = [i for i in ids if i not in chosen][:1] or ids[:1]
        return {"choices": chosen}
    if kind == "ordering":
        order = list(spec["order"])
        return {"order": order if correct else order[::-1]}
    raise ValueError(f"no simulated answer for {kind}")


def http_agreement(learners: int, attempts: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    worst = unrounded = 0.0
    compared = answers = 0
    mismatched_state = 0
    with (
        running_stack() as stack,
        httpx.Client(base_url=stack.config.url("gateway"), timeout=30.0) as gw,
    ):
        for n in range(1, learners + 1):
            username = f"learner-{n:02d}"
            learner = demo_id("learner", username)
            token = gw.post("/v1/auth/token", data={"grant_type": "password", "username": username})
            token.raise_for_status()
            headers = {"authorization": f"Bearer {token.json()['access_token']}"}
            before = gw.get(f"/v1/learners/{learner}/mastery", headers=headers)
            before.raise_for_status()
            seen = {s["skill_code"] for s in before.json()["skills"]}
            book = adapters.MasteryBook()
            for code in SKILLS:
                if code in seen:
                    continue  # the demo seed gave this learner evidence already: not ours
                knows = rng.random() < 0.5
                for _ in range(attempts):
                    started = gw.post(f"/v1/assessments/{check_id(code)}/attempts",
                                      json={"learner_id": str(learner)}, headers=headers)  # fmt: skip
                    started.raise_for_status()
                    attempt = started.json()["id"]
                    for k, raw in enumerate(DEMO_ITEMS[code], start=1):
                        right = rng.random() < (0.9 if knows else 0.3)
                        put = gw.put(
                            f"/v1/attempts/{attempt}/responses/{item_id(code, k)}",
                            json={"answer": _answer(raw["spec"], right)},
                            headers=headers,
                        )
                        put.raise_for_status()
                        # At the service's own instant of the answer (its decay runs from it).
                        shown = str(item_id(code, k))
                        at = next(r["created_at"] for r in put.json()["responses"]
                                  if r["item_id"] == shown)  # fmt: skip
                        book.answer([code], float(raw["difficulty"]), right,
                                    datetime.fromisoformat(at.replace("Z", "+00:00")),
                                    floor=guess_chance(raw["spec"]))  # fmt: skip
                        answers += 1
                    gw.post(f"/v1/attempts/{attempt}/finish", headers=headers).raise_for_status()
            # Reads show the state decayed to the read's instant, somewhere in [asked, answered]:
            # P(known) only falls with time, so the API's value lies between the replay at both.
            asked = datetime.now(UTC)
            after = gw.get(f"/v1/learners/{learner}/mastery", headers=headers)
            answered = datetime.now(UTC)
            after.raise_for_status()
            for row in after.json()["skills"]:
                code = row["skill_code"]
                if code in seen or code not in book.states:
                    continue
                mine = book.current(code, asked)
                late = book.current(code, answered)
                shown_p = float(row["p_known"])
                # The API shows P(known) rounded to 6 decimals (api/mastery.py).
                lo, hi = round(late.p_known, 6), round(mine.p_known, 6)
                worst = max(worst, lo - shown_p, shown_p - hi, 0.0)
                unrounded = max(unrounded, late.p_known - shown_p, shown_p - mine.p_known, 0.0)
                mismatched_state += (row["mastered"] != mine.mastered) + (
                    row["evidence_count"] != mine.evidence_count
                )
                compared += 1
    return {
        "learners": learners,
        "answers": answers,
        "skills_compared": compared,
        "max_abs_diff_p_known": worst,  # against the replay rounded as the API rounds
        "max_abs_diff_unrounded": unrounded,
        "mastered_or_count_mismatches": mismatched_state,
        "agree_1e-9": compared > 0 and worst <= 1e-9 and mismatched_state == 0,
    }
