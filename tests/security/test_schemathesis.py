"""Schemathesis over the real gateway's merged OpenAPI document, once per kind of caller.

For each role (anonymous, student, guardian, teacher, school admin, district admin, integration
client, all of the demo district A) and each operation of ``/openapi.json``, Schemathesis
generates ``PATHWISE_FUZZ_EXAMPLES`` requests that fit the schema (positive) and as many that do
not (negative), from the fixed seed ``PATHWISE_FUZZ_SEED``, sends them through the gateway with the
role's real token and checks every answer:

- ``not_a_server_error``: never a 5xx;
- ``status_code_conformance``: the status is one the operation declares;
- ``content_type_conformance``: the media type is one declared for that status;
- ``response_schema_conformance``: the body validates against the declared schema.

Every failing case of a role is collected (not just the first one) and the test fails with one
line per distinct failure (role, operation, generation mode, status, check, message, curl with
the token filtered), so a run shows the whole picture. Nothing is marked xfail or skipped: an
operation left out must be listed in ``EXCLUDED`` with the reason, and the test says so.

Generated ids are random UUIDs, so writes almost never land on a seeded object; the cross-tenant
probe (``test_cross_tenant.py``) runs first anyway, on the pristine seed.
"""

import os
import re
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pathwise_devstack.testing import CALLER_ROLES, DEMO_DISTRICT_LOGINS, login_as

pytestmark = pytest.mark.integration

# Requests per operation and generation mode (so 2x this per operation and role). 5 keeps a run
# of the seven roles within a few minutes on a 2-core machine; raise it locally to dig deeper.
EXAMPLES = int(os.environ.get("PATHWISE_FUZZ_EXAMPLES", "5"))
# A fixed seed: the same requests every run, so a failure seen in CI reproduces locally.
SEED = int(os.environ.get("PATHWISE_FUZZ_SEED", "20261130"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# "METHOD /path" -> why it is not fuzzed. Listed in every run's output; keep it short.
EXCLUDED: dict[str, str] = {}
# A curl line longer than this is cut (a generated body can be kilobytes).
CURL_LIMIT = 400


@dataclass(frozen=True)
class Finding:
    role: str
    operation: str
    mode: str
    status: int | None
    check: str
    message: str
    curl: str

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.role, self.operation, self.mode, self.status)


def _one_line(text: str, limit: int = 200) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _curl(case: Case[Any], headers: dict[str, str], base_url: str) -> str:
    # Output sanitization (on by default) replaces the bearer token with [Filtered].
    command = case.as_curl_command(headers=headers, base_url=base_url).split("\n\n")[0]
    return _one_line(command, CURL_LIMIT)


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    *,
    role: str,
    base_url: str,
    session: requests.Session,
    headers: dict[str, str],
) -> list[Finding]:
    """Send ``EXAMPLES`` generated requests of one operation and mode; every failure found."""
    label = f"{operation.method.upper()} {operation.path}"
    findings: list[Finding] = []

    def record(case: Case[Any], status: int | None, check: str, message: str) -> None:
        findings.append(
            Finding(role, label, mode.value, status, check, _one_line(message),
                    _curl(case, headers, base_url))
        )  # fmt: skip

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # no .hypothesis/ directory: the seed alone decides what is sent
        phases=[Phase.explicit, Phase.generate],  # failures are collected, never shrunk
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        except requests.RequestException as exc:
            record(case, None, "no answer", f"{type(exc).__name__}: {exc}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                record(case, response.status_code, _check_name(failure), _message(failure))

    try:
        run()
    except hypothesis.errors.Unsatisfiable as exc:
        findings.append(
            Finding(role, label, mode.value, None, "no example", _one_line(str(exc)), "")
        )
    return findings


def _check_name(failure: Failure) -> str:
    return failure.title


def _message(failure: Failure) -> str:
    return failure.message or failure.title


def dedupe(findings: list[Finding]) -> list[str]:
    """One line per (role, operation, mode, status): the checks that failed, how many requests
    failed that way, the first failing request as curl."""
    first: dict[tuple[str, str, str, int | None], Finding] = {}
    checks: dict[tuple[str, str, str, int | None], dict[str, str]] = {}
    cases: dict[tuple[str, str, str, int | None], set[str]] = {}
    for finding in findings:
        first.setdefault(finding.key, finding)
        checks.setdefault(finding.key, {}).setdefault(finding.check, finding.message)
        cases.setdefault(finding.key, set()).add(finding.curl)
    lines = []
    for key in sorted(first, key=lambda k: (k[1], k[2], k[3] or 0)):
        role, operation, mode, status = key
        count = len(cases[key])
        what = "; ".join(
            f"{check}" + ("" if message == check else f" ({message[:120]})")
            for check, message in checks[key].items()
        )
        times = f" x{count}" if count > 1 else ""
        lines.append(
            f"{role:<14} {operation:<58} {mode:<8} {status or '---'}{times} {what} "
            f"| {first[key].curl}"
        )
    return lines


def _has_inputs(operation: Any) -> bool:
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def operations(openapi: dict[str, Any]) -> tuple[list[Any], list[str], list[str]]:
    """The schema's operations to fuzz, the lines saying which were left out and why, and the
    operations Schemathesis could not read (each a failure: the document is wrong)."""
    schema = schemathesis.openapi.from_dict(openapi)
    selected: list[Any] = []
    notes: list[str] = []
    invalid: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            invalid.append(f"invalid operation in /openapi.json: {_one_line(str(result.err()))}")
            continue
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in EXCLUDED:
            notes.append(f"excluded {label}: {EXCLUDED[label]}")
        else:
            selected.append(operation)
    return selected, notes, invalid


@pytest.mark.parametrize("role", CALLER_ROLES)
def test_gateway_conforms_to_its_schema(
    role: str, gateway: httpx.Client, openapi: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    headers = login_as(gateway, DEMO_DISTRICT_LOGINS, role)
    selected, notes, invalid = operations(openapi)
    base_url = str(gateway.base_url).rstrip("/")
    findings: list[Finding] = []
    with requests.Session() as session:
        for operation in selected:
            for mode in MODES:
                if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                    continue  # nothing to make invalid (GET /healthz): no negative request exists
                findings += fuzz_operation(
                    operation, mode, role=role, base_url=base_url, session=session,
                    headers=headers,
                )  # fmt: skip
    with capsys.disabled():
        for note in notes:
            print(f"\n[schemathesis {role}] {note}")
    lines = invalid + dedupe(findings)
    summary = (
        f"{len(lines)} distinct failures ({len(findings)} failing requests) as {role}, "
        f"{len(selected)} operations x {len(MODES)} modes x {EXAMPLES} examples, seed {SEED}"
    )
    if lines:
        pytest.fail(summary + ":\n" + "\n".join(lines), pytrace=False)
