"""Drivers: simulated learners working through the project's own planner, mastery rule and flags
(through :mod:`bench.school.adapters`), and the scripted scenarios of the issue.

Time: a learner answers ``ANSWERS_PER_DAY`` items a school day, two minutes apart, from
``START``; goal dates are ``GOAL_WEEKS`` after it.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bench.school import adapters, metrics
from bench.school.adapters import MasteryBook
from bench.school.truth import Bank, Item, Learner, Subgraph
from pathwise_pathways.domain.insights import Flag

__all__ = [
    "ANSWERS_PER_DAY",
    "Record",
    "RunResult",
    "answers_to_lose_mastery",
    "blame_case",
    "false_mastery",
    "run_fixed",
    "run_personalized",
    "trap_case",
]

START = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
ANSWERS_PER_DAY = 15
GOAL_WEEKS = 10
STEP_CAP = 30  # answers on one step without mastery: a stall, which the teacher acts on
# A stalled step goes behind the other ready steps this many times (the teacher reorders: its
# dependents stay locked, other branches go on) and is skipped at the next stall. Skipping at the
# first stall opens the dependents on a prerequisite the learner does not know (0.25 of practice
# on such skills in the run of 2026-11-30, against 0.06 with two deferrals).
STALL_DEFERRALS = 2
MAX_ANSWERS = 600  # per learner


def instant(k: int) -> datetime:
    """The scripted scenarios answer a few seconds apart (one sitting): no decay between."""
    return START + timedelta(seconds=5 * k)


def floor_of(item: Item) -> float:
    """The item's guess floor as the service would store it (a choice item has four options)."""
    return adapters.guess_floor(item.choice)


def moment(answer_index: int) -> datetime:
    day, within = divmod(answer_index, ANSWERS_PER_DAY)
    return START + timedelta(days=day, minutes=2 * within)


@dataclass(frozen=True)
class Record:
    """One answer as the school saw it, with the truth and the model's estimate beside it."""

    learner: int
    skill: str  # the step's skill (the item may carry a second one)
    item_skills: tuple[str, ...]
    difficulty: float
    correct: bool
    at: datetime
    known_before: bool  # truth, of ``skill``
    p_before: float  # model P(known) of ``skill`` before the answer
    prereq_unknown: bool  # a direct prerequisite of ``skill`` was not truly known
    guess: float  # the item's true answer model
    slip: float
    effective_learn: float = 1.0  # truth: the chance this answer teaches ``skill`` (if unknown)
    choice: bool = False  # a four-option choice item


@dataclass
class LearnerRun:
    learner: int
    stalled: bool
    answers: int
    known_share: float
    all_known: bool
    first_flag: dict[str, int] = field(default_factory=dict)  # code -> answer index (1-based)
    raises: list[metrics.FlagRaise] = field(default_factory=list)
    # Every flag shown after every answer, judged then: what a teacher looking at that moment
    # would have seen (a flag held for 30 answers is 30 looks, one raise).
    looks: list[metrics.FlagRaise] = field(default_factory=list)


@dataclass
class RunResult:
    learners: list[LearnerRun]
    records: list[Record]


class _Picker:
    """Items of a skill in a shuffled cycle (no repeat before the bank is used up)."""

    def __init__(self, bank: Bank, rng: random.Random) -> None:
        self.bank, self.rng, self.queue = bank, rng, {}  # type: ignore[var-annotated]

    def next(self, code: str) -> Item:
        queue: list[Item] = self.queue.setdefault(code, [])
        if not queue:
            queue.extend(self.bank.items[code])
            self.rng.shuffle(queue)
        return queue.pop()


def run_personalized(
    sub: Subgraph,
    learners: list[Learner],
    bank: Bank,
    *,
    assume_prior_grades: bool,
    seed: int,
    with_flags: bool = True,
    deferrals: int = STALL_DEFERRALS,
) -> RunResult:
    """Each learner follows the pathway the planner gives (replanned whenever a step is mastered
    or skipped), practising the first ready step until the mastery rule says mastered or
    ``STEP_CAP`` answers, flags read after every answer. A step that stalls (``STEP_CAP``
    answers) is moved behind the other ready steps ``deferrals`` times, as a teacher reorders a
    pathway, and skipped the next time (``deferrals=0``: skipped at its first stall)."""
    rng = random.Random(seed)
    goals = [(g, (START + timedelta(weeks=GOAL_WEEKS)).date()) for g in sub.goals]
    runs: list[LearnerRun] = []
    records: list[Record] = []
    for base in learners:
        learner = base.fresh()
        book = MasteryBook()
        picker = _Picker(bank, rng)
        skipped: set[str] = set()
        deferred: dict[str, int] = {}
        assumed = adapters.assumed_mastered(sub.grades, "4", {}) if assume_prior_grades else []
        first_flag: dict[str, int] = {}
        raises: list[metrics.FlagRaise] = []
        looks: list[metrics.FlagRaise] = []
        shown: dict[str, str] = {}  # code -> key of the flags shown after the previous answer
        # Truth of each skill before each answer that touched it (the windows flags are about).
        touched: dict[str, list[bool]] = {}
        n = 0
        current_since: datetime | None = START
        while n < MAX_ANSWERS:
            mastered = {c for c, s in book.states.items() if s.state.mastered}
            steps = adapters.plan(sub.graph, goals, mastered, assumed, skipped)
            ready = [s.code for s in steps if s.ready]
            if not ready:
                break
            # The first ready step in plan order, deferred ones behind the others.
            current = min(ready, key=lambda code: deferred.get(code, 0))
            # The pathway as the service holds it after the reorder: the current step first.
            steps = sorted(steps, key=lambda s: s.code != current)
            done = mastered | set(assumed)
            on_step = 0
            while n < MAX_ANSWERS:
                item = picker.next(current)
                now = moment(n)
                known_before = learner.known[current]
                p_before = book.p_known(current, now)  # as the API shows it now
                prereq_unknown = not learner.prereqs_known(sub, current)
                rate = learner.effective_learn(sub, current)
                for code in item.skills:
                    touched.setdefault(code, []).append(learner.known[code])
                correct = learner.practise(sub, item, rng)
                book.answer(item.skills, item.difficulty, correct, now, floor=floor_of(item))
                records.append(Record(learner.id, current, item.skills, item.difficulty,
                                      correct, now, known_before, p_before, prereq_unknown,
                                      item.guess, item.slip, rate, item.choice))  # fmt: skip
                n += 1
                on_step += 1
                if with_flags:
                    flags = adapters.flags(
                        book, steps, done, goals, current_since, now, sub.prereqs, held=shown
                    )
                    for flag in flags:
                        first_flag.setdefault(flag.code, n)
                        judged = _judge(sub, learner, flag, current, on_step, touched, n)
                        looks.append(judged)
                        if shown.get(flag.code) != flag.key:
                            raises.append(judged)
                    shown = {f.code: f.key for f in flags}
                if book.mastered(current):
                    break
                if on_step >= STEP_CAP:
                    if deferred.get(current, 0) < deferrals:
                        deferred[current] = deferred.get(current, 0) + 1
                    else:
                        skipped.add(current)
                    break
                # A multi-skill answer can take a mastered skill back below the loss line.
                if any(not book.mastered(c) for c in mastered):
                    break
            current_since = moment(n)
        known = [learner.known[c] for c in sub.codes]
        runs.append(LearnerRun(learner.id, learner.stalled, n, sum(known) / len(known),
                               all(known), first_flag, raises, looks))  # fmt: skip
    return RunResult(runs, records)


def _judge(
    sub: Subgraph,
    learner: Learner,
    flag: Flag,
    current: str,
    on_step: int,
    touched: dict[str, list[bool]],
    n: int,
) -> metrics.FlagRaise:
    """A flag just raised after answer ``n``, judged against the truth at that moment: about the
    skill it names, else the step being practised; its window is the answers it counts on that
    skill (``answers`` of a flag naming it), else the answers on the current step."""
    named = flag.numbers.get("skill_code")
    skill = named if isinstance(named, str) else current
    counted = flag.numbers.get("answers")
    window = counted if isinstance(named, str) and isinstance(counted, int) else on_step
    history = touched.get(skill, [])
    known = [*history[len(history) - min(window, len(history)) :], learner.known[skill]]
    true = metrics.needs_help(learner.effective_learn(sub, skill), known)
    return metrics.FlagRaise(learner.id, n, flag.code, skill, true)


def run_fixed(
    sub: Subgraph, learners: list[Learner], bank: Bank, per_skill: int, seed: int
) -> tuple[float, float]:
    """Everyone practises every skill of the subgraph, in topological order, ``per_skill`` items
    each. (mean share of skills truly known at the end, share of learners knowing all)."""
    rng = random.Random(seed)
    shares, alls = [], 0
    for base in learners:
        learner = base.fresh()
        picker = _Picker(bank, rng)
        for code in sub.codes:
            for _ in range(per_skill):
                learner.practise(sub, picker.next(code), rng)
        known = [learner.known[c] for c in sub.codes]
        shares.append(sum(known) / len(known))
        alls += all(known)
    return sum(shares) / len(shares), alls / len(learners)


# -- scripted scenarios -----------------------------------------------------------------------


def _single(bank: Bank, code: str) -> list[Item]:
    return [i for i in bank.items[code] if i.skills == (code,)]


def false_mastery(
    bank: Bank, codes: list[str], runs: int, seed: int, window: int = 20
) -> tuple[float, float | None]:
    """A learner who does not know the skill (and does not learn it in the window) answers
    ``window`` of its single-skill items in random order. (share of runs declared mastered,
    median answers until then)."""
    rng = random.Random(seed)
    hits: list[int] = []
    for r in range(runs):
        code = codes[r % len(codes)]
        items = _single(bank, code)
        order = rng.sample(items, len(items))
        while len(order) < window:
            order.append(rng.choice(items))
        book = MasteryBook()
        for k, item in enumerate(order[:window], start=1):
            correct = rng.random() < item.guess
            book.answer(item.skills, item.difficulty, correct, instant(k), floor=floor_of(item))
            if book.mastered(code):
                hits.append(k)
                break
    hits.sort()
    return len(hits) / runs, (hits[len(hits) // 2] if hits else None)


def trap_case(
    bank: Bank, a: str, b: str, lesson_items: int = 4, answers: int = 20
) -> dict[str, object]:
    """Skill ``a`` has its own items (median difficulty m); a lesson (a skill check) of
    ``lesson_items`` items tagged a+b, all easier than m, taken until ``answers`` answers, all
    right, by a learner who knows both skills."""
    medians = adapters.medians_of(bank.difficulties())
    m = medians[a]
    assert m is not None
    extra = [Item(10_000_000 + j, (a, b), round(m - 1.0 + 0.8 * j / lesson_items, 3))
             for j in range(lesson_items)]  # fmt: skip
    book = MasteryBook()
    for k in range(answers):
        item = extra[k % lesson_items]
        book.answer(item.skills, item.difficulty, True, instant(k), floor=floor_of(item))
    return {
        "right": answers,
        "p_known_a": book.p_known(a),
        "mastered_a": book.mastered(a),
        "mastered_b": book.mastered(b),
    }


def blame_case(
    bank: Bank, a: str, b: str, runs: int, seed: int, lesson: int = 10
) -> dict[str, float]:
    """A learner who knows ``a`` (mastered on its own items) and not ``b`` answers ``lesson``
    a+b items (true answers: right only at the guess rate). Mean P(known a) after, share of runs
    where a lost mastery."""
    rng = random.Random(seed)
    own = _single(bank, a)
    pairs = [i for i in bank.items[a] if set(i.skills) == {a, b}] or [Item(20_000_000, (a, b), 0.0)]
    finals, lost = [], 0
    for _ in range(runs):
        book = MasteryBook()
        k = 0
        while not book.mastered(a) and k < 60:
            item = rng.choice(own)
            k += 1
            book.answer(
                item.skills,
                item.difficulty,
                rng.random() >= item.slip,
                instant(k),
                floor=floor_of(item),
            )
        if not book.mastered(a):
            continue
        for _ in range(lesson):
            item = rng.choice(pairs)
            k += 1
            book.answer(
                item.skills,
                item.difficulty,
                rng.random() < item.guess,
                instant(k),
                floor=floor_of(item),
            )
        finals.append(book.p_known(a))
        lost += not book.mastered(a)
    return {"p_known_a_after": sum(finals) / len(finals), "lost_mastery_share": lost / len(finals)}


def answers_to_lose_mastery(bank: Bank, code: str, extra_right: int = 10) -> int | None:
    """Right answers on the skill's hardest items until mastered, ``extra_right`` more right, then
    wrong answers in a row until the rule no longer says mastered (None: not within 100)."""
    hard = max(_single(bank, code), key=lambda i: i.difficulty)
    book = MasteryBook()
    k = 0
    while not book.mastered(code):
        k += 1
        book.answer(hard.skills, hard.difficulty, True, instant(k), floor=floor_of(hard))
    for _ in range(extra_right):
        k += 1
        book.answer(hard.skills, hard.difficulty, True, instant(k), floor=floor_of(hard))
    for wrong in range(1, 101):
        k += 1
        book.answer(hard.skills, hard.difficulty, False, instant(k), floor=floor_of(hard))
        if not book.mastered(code):
            return wrong
    return None


def goal_dates(sub: Subgraph) -> list[tuple[str, date]]:
    return [(g, (START + timedelta(weeks=GOAL_WEEKS)).date()) for g in sub.goals]
