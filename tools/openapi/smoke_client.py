"""The generated Python client against a running stack (``make openapi-check``): a token, a
roster upload (multipart), a skill check started and answered, a learner's overview.

Runs in the client's own environment: it imports nothing of Pathwise but the package
openapi-python-client generated from the public document. Every call goes through the client's
typed functions and must parse into the declared model; an undeclared status raises
(``raise_on_unexpected_status``). The facts about the demo district come as a JSON file
(``pathwise_devstack.openapi_smoke`` writes it).
"""

import json
import sys
import time
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from pathwise_api_client import AuthenticatedClient, Client
from pathwise_api_client.api.aggregates import learner_overview
from pathwise_api_client.api.assessments import start_attempt
from pathwise_api_client.api.attempts import answer_item, finish_attempt
from pathwise_api_client.api.auth import issue_token
from pathwise_api_client.api.roster_imports import get_import, upload_import
from pathwise_api_client.models import (
    AnswerIn,
    AnswerInAnswer,
    AssessmentAttemptOut,
    AttemptCreate,
    ImportJobOut,
    ImportUpload,
    IssueTokenBody,
    IssueTokenBodyGrantType,
    OverviewOut,
    ProblemDetail,
    TokenResponse,
)
from pathwise_api_client.types import File

T = TypeVar("T")


def expect(answer: object, model: type[T], what: str) -> T:
    if isinstance(answer, ProblemDetail):
        raise SystemExit(f"{what}: {answer.status} {answer.type_}: {answer.detail}")
    if not isinstance(answer, model):
        raise SystemExit(f"{what}: expected {model.__name__}, the client parsed {answer!r}")
    print(f"ok: {what}")
    return answer


def login(base_url: str, username: str) -> AuthenticatedClient:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    body = IssueTokenBody(grant_type=IssueTokenBodyGrantType.PASSWORD, username=username)
    token = expect(
        issue_token.sync(client=anonymous, body=body), TokenResponse, f"token of {username}"
    )
    return AuthenticatedClient(
        base_url=base_url, token=token.access_token, raise_on_unexpected_status=True, timeout=30.0
    )


def main(facts_path: str) -> int:
    facts = json.loads(Path(facts_path).read_text(encoding="utf-8"))
    base_url = facts["gateway_url"]

    admin = login(base_url, facts["admin"])
    with open(facts["roster_zip"], "rb") as payload:
        upload = ImportUpload(
            file=File(payload=payload, file_name="roster.zip", mime_type="application/zip"),
            dry_run=True,
        )
        job = expect(upload_import.sync(client=admin, body=upload), ImportJobOut, "roster upload")
    deadline = time.monotonic() + 60
    while job.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = expect(get_import.sync(job.id, client=admin), ImportJobOut, f"import job {job.state}")
    report = job.report.to_dict() if job.report else {}
    if job.state != "succeeded" or report.get("rows_read") != 1:
        raise SystemExit(f"roster import ended {job.state} ({job.error}): {report}")

    learner = login(base_url, facts["learner"])
    learner_id = UUID(facts["learner_id"])
    started = start_attempt.sync(
        UUID(facts["skill_check_id"]), client=learner, body=AttemptCreate(learner_id=learner_id)
    )
    attempt = expect(started, AssessmentAttemptOut, "skill check started")
    if not attempt.items:
        raise SystemExit("the skill check showed no item")
    for shown in attempt.items:
        body = AnswerIn(answer=AnswerInAnswer.from_dict(facts["answers"][str(shown.item_id)]))
        answered = answer_item.sync(attempt.id, shown.item_id, client=learner, body=body)
        expect(answered, AssessmentAttemptOut, f"item {shown.item_id} answered")
    finished = finish_attempt.sync(attempt.id, client=learner)
    done = expect(finished, AssessmentAttemptOut, "skill check finished")
    if done.status != "finished" or done.score is None:
        raise SystemExit(f"the attempt is {done.status} after finishing")

    overview = expect(learner_overview.sync(learner_id, client=learner), OverviewOut, "overview")
    if overview.learner_id != learner_id or overview.mastery is None:
        raise SystemExit(f"the overview: {overview.to_dict()}")
    print("the generated Python client works against the running stack")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
