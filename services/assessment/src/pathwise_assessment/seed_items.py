# ruff: noqa: RUF001 - the items use the real math signs children see
"""The demo item bank: a few real, checked items per demo skill (grades 3-5 Common Core)."""

from typing import Any

__all__ = ["DEMO_ITEMS"]


def _choice(stem: str, options: list[str], correct: int, difficulty: float) -> dict[str, Any]:
    ids = "abcdefgh"
    return {
        "stem": stem,
        "difficulty": difficulty,
        "spec": {
            "type": "single_choice",
            "choices": [{"id": ids[i], "text": t} for i, t in enumerate(options)],
            "correct": ids[correct],
        },
    }


def _numeric(stem: str, value: float, difficulty: float, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "numeric", "value": value, "tolerance": 0.001}
    spec.update(extra)
    return {"stem": stem, "difficulty": difficulty, "spec": spec}


def _text(
    stem: str, accepted: list[str], difficulty: float, pattern: str | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "short_text", "accepted": accepted}
    if pattern:
        spec["pattern"] = pattern
    return {"stem": stem, "difficulty": difficulty, "spec": spec}


def _multi(stem: str, options: list[str], correct: list[int], difficulty: float) -> dict[str, Any]:
    ids = "abcdefgh"
    return {
        "stem": stem,
        "difficulty": difficulty,
        "spec": {
            "type": "multiple_select",
            "choices": [{"id": ids[i], "text": t} for i, t in enumerate(options)],
            "correct": [ids[i] for i in correct],
        },
    }


def _ordering(stem: str, entries: list[str], order: list[int], difficulty: float) -> dict[str, Any]:
    ids = "abcdefgh"
    return {
        "stem": stem,
        "difficulty": difficulty,
        "spec": {
            "type": "ordering",
            "entries": [{"id": ids[i], "text": t} for i, t in enumerate(entries)],
            "order": [ids[i] for i in order],
        },
    }


DEMO_ITEMS: dict[str, list[dict[str, Any]]] = {
    # The skills the planner opens first for the demo learners: with no evidence and prior grades
    # not assumed, every demo pathway starts at the roots of the goals' prerequisites (grade 3:
    # K.G.A.1, grades 4 and 5: K.CC.A.1) until a skill check or a diagnostic moves it on. Six
    # items each, easy to hard, so the README's walk works for every demo learner
    # (tests/test_demo_walk.py checks it on the seeded stack).
    "K.CC.A.1": [
        _numeric("Count by ones: 5, 6, 7, ___. What number comes next?", 8, -1.4),
        _choice("Count by tens: 10, 20, 30, ___", ["31", "40", "50", "300"], 1, -0.9),
        _numeric("Count by ones: 38, 39, ___. What number comes next?", 40, -0.3),
        _ordering(
            "Put the tens in counting order.",
            ["70", "50", "60"],
            [1, 2, 0],
            0.2,
        ),
        _numeric("Count by tens: 60, 70, 80, ___, 100. What is the missing number?", 90, 0.6),
        _numeric("Count by ones: 97, 98, 99, ___. What number comes next?", 100, 1.1),
    ],
    "K.G.A.1": [
        _choice(
            "A ball is round like which shape?",
            ["circle", "square", "triangle", "rectangle"],
            0,
            -1.4,
        ),
        _choice(
            "Which shape has 3 sides and 3 corners?",
            ["square", "triangle", "circle", "hexagon"],
            1,
            -0.9,
        ),
        _choice(
            "The cat sleeps under the table. Where is the cat?",
            ["above the table", "below the table", "beside the table", "in front of the table"],
            1,
            -0.3,
        ),
        _text(
            "A window has 4 equal sides and 4 corners. Name its shape.", ["square", "a square"], 0.2
        ),
        _choice(
            "A door is taller than it is wide and has 4 corners. Which shape is it?",
            ["circle", "triangle", "rectangle", "hexagon"],
            2,
            0.6,
        ),
        _multi(
            "The lamp is next to the bed and the rug is under the bed. Select every true sentence.",
            [
                "The lamp is beside the bed.",
                "The rug is below the bed.",
                "The rug is above the bed.",
            ],
            [0, 1],
            1.1,
        ),
    ],
    "3.OA.A.1": [
        _choice(
            "Which expression shows 5 groups of 3 objects?",
            ["5 × 3", "5 + 3", "5 − 3", "3 ÷ 5"],
            0,
            -1.0,
        ),
        _numeric(
            "There are 4 bags with 6 apples in each bag. How many apples are there in all?", 24, 0.0
        ),
        _text(
            "Write a multiplication expression for 7 groups of 2 objects.",
            ["7 x 2", "7 × 2", "7*2"],
            0.6,
            pattern=r"7\s*[x×*]\s*2",
        ),
    ],
    "3.OA.C.7": [
        _choice("What is 8 × 7?", ["54", "56", "63", "48"], 1, -0.5),
        _numeric("What is 42 ÷ 6?", 7, 0.0),
        _numeric("What is 6 × 9?", 54, 0.5),
        _text("9 × ___ = 72. What is the missing number?", ["8", "eight"], 0.8),
    ],
    "3.NF.A.1": [
        _choice(
            "A pizza is cut into 4 equal slices. What fraction of the pizza is one slice?",
            ["1/4", "4/1", "1/3", "4/4"],
            0,
            -1.0,
        ),
        _numeric(
            "A rope is cut into 8 equal pieces. What fraction of the rope are 3 of the pieces? "
            "(You may write a fraction like 1/2.)",
            0.375,
            0.3,
        ),
        _text(
            "What is the number below the line in a fraction called?",
            ["denominator", "the denominator"],
            0.7,
        ),
    ],
    "3.NF.A.2": [
        _choice(
            "A number line from 0 to 1 is split into 3 equal parts. What number is at the first mark after 0?",
            ["1/3", "1/2", "3", "1/4"],
            0,
            -0.6,
        ),
        _numeric(
            "A number line from 0 to 1 is split into 6 equal parts. Point P is at the 5th mark after 0. "
            "What fraction is P?",
            5 / 6,
            0.4,
        ),
        _multi(
            "Select every fraction that lies between 0 and 1 on the number line.",
            ["1/2", "3/4", "5/4", "2/3"],
            [0, 1, 3],
            0.8,
        ),
    ],
    "3.NF.A.3": [
        _choice("Which fraction is equal to 1/2?", ["2/4", "2/3", "1/4", "3/4"], 0, -0.8),
        _text("Compare 3/8 and 3/4. Write >, < or = in the blank: 3/8 ___ 3/4", ["<"], 0.2),
        _ordering(
            "Put the fractions in order from least to greatest.",
            ["1/2", "1/8", "1/4"],
            [1, 2, 0],
            0.6,
        ),
        _numeric("2/3 = ?/6. What is the missing numerator?", 4, 0.9),
    ],
    "4.NBT.B.4": [
        _choice("What is 3,450 + 1,275?", ["4,725", "4,625", "4,715", "5,725"], 0, -0.7),
        _numeric("What is 4,532 + 2,789?", 7321, 0.1),
        _numeric("What is 6,004 − 2,587?", 3417, 0.8),
        _text(
            "Which operation undoes addition? (one word)",
            ["subtraction", "subtract", "subtracting"],
            -0.2,
        ),
    ],
    "4.NBT.B.5": [
        _choice("What is 35 × 12?", ["420", "410", "350", "425"], 0, -0.4),
        _numeric("What is 23 × 14?", 322, 0.2),
        _numeric("What is 1,206 × 4?", 4824, 0.7),
        _text(
            "Area model: 30 × 12 = 360 and 5 × 12 = 60. So 35 × 12 = ___ (digits)", ["420"], -0.6
        ),
    ],
    "4.NF.A.1": [
        _choice("Which fraction is equivalent to 3/4?", ["6/8", "3/8", "4/3", "6/4"], 0, -0.6),
        _numeric("2/5 = ?/15. What is the missing numerator?", 6, 0.3),
        _multi(
            "Select every fraction equivalent to 1/3.",
            ["2/6", "3/9", "2/3", "3/6", "4/12"],
            [0, 1, 4],
            0.9,
        ),
    ],
    "4.NF.B.3": [
        _choice(
            "Which shows 5/6 as a sum of unit fractions?",
            [
                "1/6 + 1/6 + 1/6 + 1/6 + 1/6",
                "1/5 + 1/5 + 1/5 + 1/5 + 1/5 + 1/5",
                "5/6 + 1/6",
                "1/6 + 5/6",
            ],
            0,
            -0.3,
        ),
        _numeric("What is 3/8 + 2/8? (You may write a fraction.)", 0.625, -0.5),
        _numeric("What is 1 1/4 − 3/4? (You may write a fraction.)", 0.5, 0.8),
        _text("What is 2/5 + 2/5? Write the fraction.", ["4/5"], 0.1),
    ],
    "5.NBT.B.5": [
        _choice("What is 408 × 25?", ["10,200", "10,020", "9,200", "10,250"], 0, 0.0),
        _numeric("What is 234 × 56?", 13104, 0.5),
        _numeric("What is 1,250 × 34?", 42500, 0.3),
        _text(
            "In 234 × 56, the partial products are 234 × 50 and 234 × ___. (digits)", ["6"], -0.8
        ),
    ],
    "5.NF.A.1": [
        _choice("What is 1/2 + 1/3?", ["5/6", "2/5", "2/6", "1/5"], 0, -0.5),
        _numeric("What is 5/6 − 1/4? (You may write a fraction.)", 7 / 12, 0.4),
        _numeric("What is 2/3 + 5/4? (You may write a fraction or a mixed number.)", 23 / 12, 0.9),
        _text("What is the least common denominator of 1/4 and 1/6? (digits)", ["12"], 0.0),
    ],
    "5.NF.B.4": [
        _choice(
            "A garden is 3/4 m long and 1/2 m wide. What is its area?",
            ["3/8 square meters", "4/6 square meters", "3/6 square meters", "5/4 square meters"],
            0,
            0.2,
        ),
        _numeric("What is 2/3 × 6?", 4, -0.6),
        _numeric("What is 3/4 × 2/5? (You may write a fraction.)", 0.3, 0.5),
        _numeric(
            "A ribbon is 6 m long. You use 2/3 of it. How long is the piece you use? Give the unit.",
            4,
            0.7,
            unit="m",
            require_unit=True,
            unit_conversions={"cm": 0.01},
        ),
    ],
}
