"""The demo district's activity catalogue: several formats, languages and accessibility features
for every skill the demo learners' pathways reach (grades 3-5 goals and their prerequisites)."""

import uuid
from typing import Any

from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.graph import build_graph
from pathwise_pathways.domain.planner import Goal, plan_steps
from pathwise_shared.demo import demo_id

__all__ = ["DEMO_GOALS", "demo_activities", "demo_skill_codes"]

# Goal skills of the demo learners (profiles' seed) and the issue's demo list.
DEMO_GOALS: dict[int, list[str]] = {
    3: ["3.NF.A.1", "3.NF.A.2", "3.NF.A.3", "3.OA.A.1", "3.OA.C.7"],
    4: ["4.NBT.B.4", "4.NBT.B.5", "4.NF.A.1", "4.NF.A.2", "4.NF.B.3"],
    5: ["5.NBT.B.5", "5.NF.A.1", "5.NF.A.2", "5.NF.B.4", "5.NBT.A.3"],
}

TOPICS = {
    "3.OA.A.1": "equal groups and multiplication",
    "3.OA.A.2": "sharing equally: division",
    "3.OA.B.5": "properties of multiplication",
    "3.OA.B.6": "division as an unknown factor",
    "3.OA.C.7": "multiplication facts within 100",
    "3.NF.A.1": "unit fractions: one part of a whole",
    "3.NF.A.2": "fractions on the number line",
    "3.NF.A.3": "equivalent fractions",
    "4.NBT.B.4": "adding and subtracting big numbers",
    "4.NBT.B.5": "multi-digit multiplication with area models",
    "4.NF.A.1": "making equivalent fractions",
    "4.NF.A.2": "comparing fractions",
    "4.NF.B.3": "adding fractions with like denominators",
    "5.NBT.B.5": "the standard multiplication algorithm",
    "5.NF.A.1": "adding fractions with unlike denominators",
    "5.NF.A.2": "fraction word problems",
    "5.NF.B.4": "multiplying a fraction by a whole number",
    "5.NBT.A.3": "reading and writing decimals",
    "2.OA.C.3": "odd and even numbers",
    "2.OA.C.4": "arrays and repeated addition",
    "2.G.A.3": "halves, thirds and fourths of shapes",
    "2.MD.A.2": "measuring with different units",
    "2.MD.B.6": "numbers on a number line",
}

_TEMPLATES: list[dict[str, Any]] = [
    {"format": "video", "title": "Watch: {t}", "minutes": 8, "difficulty": 2,
     "accessibility": ["captions", "transcript"], "languages": ["en"]},
    {"format": "game", "title": "{T} challenge game", "minutes": 15, "difficulty": 3,
     "accessibility": ["text_to_speech"], "languages": ["en"]},
    {"format": "hands_on", "title": "Hands-on: {t} with manipulatives", "minutes": 25,
     "difficulty": 2, "accessibility": ["large_print"], "languages": ["en"]},
    {"format": "text", "title": "Read and try: {t}", "minutes": 15, "difficulty": 3,
     "accessibility": ["large_print", "text_to_speech", "screen_reader"], "languages": ["en"]},
    {"format": "interactive", "title": "Interactive practice: {t}", "minutes": 20,
     "difficulty": 4, "accessibility": ["text_to_speech", "screen_reader"], "languages": ["en"]},
    {"format": "video", "title": "Video en español: {t}", "minutes": 10, "difficulty": 2,
     "accessibility": ["captions"], "languages": ["es", "en"]},
    {"format": "audio", "title": "Listen: a story about {t}", "minutes": 10, "difficulty": 1,
     "accessibility": ["transcript"], "languages": ["en", "es"]},
]  # fmt: skip

_INTERESTS = [
    ["space", "robots"], ["animals"], ["soccer", "basketball"], ["music", "dance"],
    ["cooking", "gardening"], ["dinosaurs"], ["video games"], ["art", "drawing"],
]  # fmt: skip


def demo_skill_codes() -> list[str]:
    """Every skill a demo pathway can reach: first those it reaches when grades two below the
    learner's are assumed (the catalogue as it was first seeded, in the same order, so those
    activities keep their ids and numbers), then those it reaches when nothing is assumed (the
    default: earlier-grade skills are planned until evidence shows them known)."""
    data = load_ccssm()
    graph = build_graph(
        [s.code for s in data.skills],
        [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"],
    )
    grade = {s.code: s.grade for s in data.skills}
    codes: dict[str, None] = {}
    for learner_grade, goals in DEMO_GOALS.items():
        assumed = [
            c
            for c, g in grade.items()
            if g is not None and (g == "K" or (g.isdigit() and int(g) <= learner_grade - 2))
        ]
        for step in plan_steps(graph, [Goal(c) for c in goals], assumed):
            codes[step.code] = None
    for goals in DEMO_GOALS.values():
        for step in plan_steps(graph, [Goal(c) for c in goals], ()):
            codes[step.code] = None
    return list(codes)


def demo_activities(district_id: uuid.UUID) -> list[dict[str, Any]]:
    titles = {s.code: s.title for s in load_ccssm().skills}
    rows = []
    for n, code in enumerate(demo_skill_codes()):
        topic = TOPICS.get(code) or titles[code][:80].rstrip(".").lower()
        for k, template in enumerate(_TEMPLATES):
            # Each skill gets most formats; the rotation keeps boards different between skills.
            if (n + k) % 7 == 6 and code not in TOPICS:
                continue
            rows.append(
                {
                    "id": demo_id("activity", f"{code}/{k}"),
                    "district_id": district_id,
                    "title": template["title"].format(t=topic, T=topic[:1].upper() + topic[1:])[
                        :300
                    ],
                    "description": f"{code}: {titles[code]}",
                    "format": template["format"],
                    "difficulty": max(1, min(5, template["difficulty"] + (n % 3) - 1)),
                    "minutes": template["minutes"] + 5 * (n % 2),
                    "languages": template["languages"],
                    "accessibility": template["accessibility"],
                    "interest_tags": _INTERESTS[(n + k) % len(_INTERESTS)],
                    "url": f"https://learn.example.org/{code.lower()}/{template['format']}-{k}",
                    "skill_codes": [code],
                }
            )
    return rows
