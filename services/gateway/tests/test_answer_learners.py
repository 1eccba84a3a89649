"""Which learners an upstream answer names, for the audit of paths that name none (pure)."""

import json
import uuid

from pathwise_gateway.proxy.domain.answer_learners import MAX_LEARNERS, learners_in_answer

JSON = "application/json"


def test_the_top_level_learner_of_an_attempt() -> None:
    learner = uuid.uuid4()
    body = json.dumps({"id": str(uuid.uuid4()), "learner_id": str(learner), "items": []})
    assert learners_in_answer(JSON, body.encode()) == [learner]


def test_each_distinct_learner_of_a_page_once() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    page = {
        "items": [
            {"learner_id": str(a)},
            {"learner_id": str(b)},
            {"learner_id": str(a)},
            {"id": "no learner"},
            "not an object",
        ],
        "next_cursor": None,
    }
    assert learners_in_answer(JSON, json.dumps(page).encode()) == [a, b]


def test_a_page_names_at_most_max_learners() -> None:
    page = {"items": [{"learner_id": str(uuid.uuid4())} for _ in range(MAX_LEARNERS + 5)]}
    assert len(learners_in_answer(JSON, json.dumps(page).encode())) == MAX_LEARNERS


def test_answers_that_name_no_learner() -> None:
    learner = str(uuid.uuid4())
    assert learners_in_answer(JSON, b'{"skills": []}') == []
    assert learners_in_answer("application/problem+json", b'{"learner_id": "x"}') == []
    assert learners_in_answer("text/plain", f'{{"learner_id": "{learner}"}}'.encode()) == []
    assert learners_in_answer(JSON, b'{"learner_id": "not-a-uuid"}') == []
    assert learners_in_answer(JSON, b'{"learner_id": null}') == []
    assert learners_in_answer(JSON, b'["learner_id"]') == []
    assert learners_in_answer(JSON, b'{"learner_id": ') == []
    assert learners_in_answer(JSON, f'{{"items": {{"learner_id": "{learner}"}}}}'.encode()) == []
