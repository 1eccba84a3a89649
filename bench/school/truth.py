"""The ground truth of the simulated school: skills, learners and item banks, and how a learner
really answers and learns. Nothing here asks the project what a learner knows; it *is* what the
learner knows, so the project's estimates can be scored against it.

Skills: a real Common Core subgraph (the goal skills and every prerequisite of theirs, from the
CCSS math files pathways ships), with the prerequisite edges the service plans on.

A learner has a true known / unknown state per skill:

* prior knowledge is drawn in topological order, grade by grade less likely (a grade-4 learner
  usually knows K-1, often grade 2, sometimes grade 3), scaled by the learner's ability, and a
  skill can be truly known only if its prerequisites are mostly known (``PRIOR_PREREQ_SHARE``);
* each practice opportunity of an unknown skill teaches it with the learner's learn rate for that
  skill, at a tenth of it while a direct prerequisite is still unknown (one cannot build on what
  is not there); *stalled* learners have learn rates near zero;
* forgetting (``forget`` per opportunity of a known skill) is off unless asked for.

Answers: BKT with item difficulty on an absolute (logit) scale. P(correct | known) = 1 - slip(b),
slip rising a little with difficulty; P(correct | unknown) = guess(b): easy constructed-answer
items are guessable (b = -2: 0.44), hard ones are not (b = 1: 0.03); a four-option choice item is
guessed at 0.25 plus half of that. A multi-skill item is answered from knowledge
only when every one of its skills is known (conjunctive), otherwise at its guess rate.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.graph import SkillGraph, build_graph

__all__ = [
    "GOALS",
    "Bank",
    "Item",
    "Learner",
    "Subgraph",
    "answer_probability",
    "draw_learners",
    "full_graph",
    "guess_of",
    "make_bank",
    "slip_of",
    "subgraph",
]

# Grade-4 fractions: comparing fractions on a number line / with benchmarks (4.NF.C.7) and
# multiplying a fraction by a whole number in word problems (4.NF.B.4.c): 31 skills, K to 4.
GOALS = ("4.NF.C.7", "4.NF.B.4.c")
LEARNER_GRADE = "4"
# Log-odds of knowing a skill of each grade before any practice, for an average grade-4 learner.
GRADE_PRIOR_LOGIT = {"K": 3.2, "1": 2.6, "2": 1.6, "3": 0.2, "4": -2.2}
PRIOR_PREREQ_SHARE = 0.67  # a skill can be known only if this share of its prerequisites is
BLOCKED_LEARN_FACTOR = 0.1  # learning a skill while a direct prerequisite is unknown
STALLED_SHARE = 0.15
STALLED_LEARN = 0.01


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def guess_of(difficulty: float, choice: bool = False) -> float:
    """P(correct | unknown) of an item: easy items are guessable, hard ones are not; a
    four-option choice item is never below 1 in 4."""
    open_guess = 0.5 * _sigmoid(-1.6 * (difficulty + 0.8))
    return 0.25 + 0.5 * open_guess if choice else open_guess


def slip_of(difficulty: float) -> float:
    """P(wrong | known): careless errors, a little more often on hard items."""
    return 0.04 + 0.12 * _sigmoid(difficulty - 1.0)


@dataclass(frozen=True)
class Item:
    id: int
    skills: tuple[str, ...]
    difficulty: float  # absolute scale (IRT b), the value the service stores
    choice: bool = False  # four-option choice (guessable) or a constructed answer

    @property
    def guess(self) -> float:
        return guess_of(self.difficulty, self.choice)

    @property
    def slip(self) -> float:
        return slip_of(self.difficulty)


def answer_probability(item: Item, known: dict[str, bool]) -> float:
    """True P(correct) of a learner whose true states are ``known``."""
    if all(known[s] for s in item.skills):
        return 1.0 - item.slip
    return item.guess


@dataclass(frozen=True)
class Subgraph:
    """The goal skills, every prerequisite of theirs, and the edges among them."""

    graph: SkillGraph  # the whole framework graph, as the service plans on it
    codes: tuple[str, ...]  # topological order
    grades: dict[str, str]
    prereqs: dict[str, tuple[str, ...]]  # direct prerequisites inside the subgraph
    goals: tuple[str, ...]


@cache
def full_graph() -> tuple[SkillGraph, dict[str, str]]:
    """The CCSS math graph the way pathways builds it: every skill, prerequisite edges only."""
    framework = load_ccssm()
    graph = build_graph(
        [s.code for s in framework.skills],
        [(e.source, e.target) for e in framework.edges if e.kind == "prerequisite"],
    )
    return graph, {s.code: s.grade or "" for s in framework.skills}


def subgraph(goals: Sequence[str] = GOALS) -> Subgraph:
    graph, grades = full_graph()
    seen: set[int] = set()
    stack = [graph.index[g] for g in goals]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.prereqs[node])
    order = sorted(seen, key=lambda n: graph.rank[n])
    codes = tuple(graph.codes[n] for n in order)
    return Subgraph(
        graph=graph,
        codes=codes,
        grades={c: grades[c] for c in codes},
        prereqs={c: tuple(graph.prerequisites_of(c)) for c in codes},
        goals=tuple(goals),
    )


@dataclass
class Learner:
    id: int
    ability: float
    stalled: bool
    learn: dict[str, float]
    known: dict[str, bool]
    forget: float = 0.0
    initially_known: dict[str, bool] = field(default_factory=dict)

    def prereqs_known(self, sub: Subgraph, code: str) -> bool:
        return all(self.known[p] for p in sub.prereqs[code])

    def effective_learn(self, sub: Subgraph, code: str) -> float:
        """The chance the next opportunity on ``code`` teaches it, as :meth:`practise` applies it:
        the learner's rate, a tenth of it while a direct prerequisite is unknown."""
        rate = self.learn[code]
        return rate if self.prereqs_known(sub, code) else rate * BLOCKED_LEARN_FACTOR

    def practise(self, sub: Subgraph, item: Item, rng: random.Random) -> bool:
        """Answer ``item`` (drawn from the truth), then learn (or forget) from the opportunity."""
        correct = rng.random() < answer_probability(item, self.known)
        for code in item.skills:
            if self.known[code]:
                if self.forget and rng.random() < self.forget:
                    self.known[code] = False
            elif rng.random() < self.effective_learn(sub, code):
                self.known[code] = True
        return correct

    def fresh(self) -> "Learner":
        """The same learner before any practice (for running another driver on them)."""
        return Learner(
            self.id, self.ability, self.stalled, dict(self.learn), dict(self.initially_known),
            self.forget, dict(self.initially_known),
        )  # fmt: skip


def draw_learners(sub: Subgraph, n: int, seed: int, *, forget: float = 0.0) -> list[Learner]:
    rng = random.Random(seed)
    learners = []
    for i in range(n):
        ability = rng.gauss(0.0, 1.0)
        stalled = rng.random() < STALLED_SHARE
        known: dict[str, bool] = {}
        for code in sub.codes:  # topological: prerequisites are drawn first
            pre = sub.prereqs[code]
            share = sum(known[p] for p in pre) / len(pre) if pre else 1.0
            logit = GRADE_PRIOR_LOGIT.get(sub.grades[code], -2.0) + 1.3 * ability
            known[code] = share >= PRIOR_PREREQ_SHARE and rng.random() < _sigmoid(logit)
        base = 0.12 + 0.08 * max(-1.5, min(1.5, ability))
        learn = {
            c: STALLED_LEARN if stalled else max(0.03, base * rng.uniform(0.6, 1.4))
            for c in sub.codes
        }
        learners.append(Learner(i, ability, stalled, learn, dict(known), forget, dict(known)))
    return learners


@dataclass(frozen=True)
class Bank:
    """Items per skill (single-skill and the multi-skill items tagged with it)."""

    items: dict[str, tuple[Item, ...]]

    def difficulties(self) -> dict[str, list[float]]:
        """What the service's ``difficulties_by_skill`` reads: every item tagged with the skill."""
        return {c: [i.difficulty for i in items] for c, items in self.items.items()}


def make_bank(
    sub: Subgraph,
    seed: int,
    *,
    low: float = -2.0,
    high: float = 2.0,
    per_skill: int = 16,
    multi_per_skill: int = 4,
    choice_share: float = 0.5,
) -> Bank:
    """Difficulties spread evenly over ``[low, high]`` with jitter (a mixed bank: -2..2; an
    all-easy bank: -2.5..-1). Skills of grade 3-4 with a prerequisite in the subgraph also get
    ``multi_per_skill`` items tagged with the skill and one of those prerequisites. A share
    ``choice_share`` of the items are four-option choice items (guess ≥ 0.25)."""
    rng = random.Random(seed)
    next_id = 0
    items: dict[str, list[Item]] = {c: [] for c in sub.codes}

    def spread(k: int) -> list[float]:
        width = (high - low) / k
        return [low + width * (j + rng.random()) for j in range(k)]

    for code in sub.codes:
        for b in spread(per_skill):
            items[code].append(Item(next_id, (code,), round(b, 3), rng.random() < choice_share))
            next_id += 1
        pre = [p for p in sub.prereqs[code] if sub.grades[p] in {"3", "4"}]
        if pre and sub.grades[code] in {"3", "4"} and multi_per_skill:
            for j, b in enumerate(spread(multi_per_skill)):
                item = Item(
                    next_id, (code, pre[j % len(pre)]), round(b, 3), rng.random() < choice_share
                )
                next_id += 1
                items[code].append(item)
                items[item.skills[1]].append(item)
    return Bank({c: tuple(v) for c, v in items.items()})
