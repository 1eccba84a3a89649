"""Every problem type the code can answer is registered once, with the status it is raised with.

The scan reads the source (no import): every ``slug=`` given to a problem class, every problem
class's default slug, and every ``/problems/<slug>`` written directly into a response. A slug
that is not in ``pathwise_shared.problem_types`` fails, and so does a slug raised with another
status than the registered one (the same slug answering 400 here and 422 there).
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pathwise_shared.problem_types import CATALOG, FAMILIES, PROBLEM_TYPE_BASE, lookup

ROOT = Path(__file__).parents[1]
SOURCES = [ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src")),
           *sorted((ROOT / "tools").glob("*/src"))]  # fmt: skip
# The statuses of the shared problem classes (pathwise_shared.problems); subclasses found in the
# scanned code are added as they are read.
BASE_STATUS = {
    "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "Conflict": 409,
    "PreconditionFailed": 412, "PayloadTooLarge": 413, "UnprocessableContent": 422,
    "PreconditionRequired": 428, "TooManyRequests": 429, "ServiceUnavailable": 503,
}  # fmt: skip


@dataclass(frozen=True)
class Raised:
    slug: str  # a slug, or a pattern with "*" where an f-string inserts a value
    status: int | None  # None: the class is not known (a status computed at run time)
    where: str


def _slug_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "*"
            for v in node.values
        )
    return None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def scan(source: str, where: str, statuses: dict[str, int]) -> Iterator[Raised]:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            parent = next((statuses[b] for b in bases if b in statuses), None)
            if parent is None and "Problem" not in bases:
                continue
            own: dict[str, object] = {}
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Constant)
                ):
                    own[stmt.targets[0].id] = stmt.value.value
            status = own.get("status", parent)
            if isinstance(status, int):
                statuses[node.name] = status
            slug = own.get("slug")
            if isinstance(slug, str):
                yield Raised(slug, status if isinstance(status, int) else None, where)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            for keyword in node.keywords:
                if keyword.arg == "slug":
                    slug = _slug_of(keyword.value)
                    if slug is not None:
                        yield Raised(slug, statuses.get(name or ""), f"{where}:{node.lineno}")
                elif keyword.arg == "type_":
                    value = keyword.value
                    text = _slug_of(value)
                    if isinstance(value, ast.BinOp) and isinstance(value.right, ast.Constant):
                        text = PROBLEM_TYPE_BASE + str(value.right.value)
                    if text is not None and text.startswith(PROBLEM_TYPE_BASE):
                        status = next(
                            (k.value.value for k in node.keywords if k.arg == "status"
                             and isinstance(k.value, ast.Constant)), None,
                        )  # fmt: skip
                        if status is None and node.args and isinstance(node.args[0], ast.Constant):
                            status = node.args[0].value
                        yield Raised(text.removeprefix(PROBLEM_TYPE_BASE),
                                     status if isinstance(status, int) else None,
                                     f"{where}:{node.lineno}")  # fmt: skip


def raised_everywhere() -> list[Raised]:
    statuses = dict(BASE_STATUS)
    files = sorted(p for root in SOURCES for p in root.rglob("*.py") if "migrations" not in p.parts)
    found: list[Raised] = []
    # Twice: a problem class defined in one module and raised in another is known the second time.
    for _ in range(2):
        found = [
            r for path in files for r in scan(path.read_text("utf-8"), str(path.relative_to(ROOT)),
                                              statuses)
        ]  # fmt: skip
    return found


def problems_of(raised: list[Raised]) -> list[str]:
    wrong = []
    for r in raised:
        if "*" in r.slug:
            family = r.slug.replace("*", "{object}")
            registered = FAMILIES.get(family)
            if registered is None:
                wrong.append(f"{r.where}: {r.slug} is no registered family")
            elif r.status is not None and r.status != registered.status:
                wrong.append(
                    f"{r.where}: {r.slug} raised as {r.status}, registered {registered.status}"
                )
            continue
        known = lookup(r.slug)
        if known is None:
            wrong.append(f"{r.where}: {r.slug} is not registered in pathwise_shared.problem_types")
        elif r.status is not None and r.status != known.status:
            wrong.append(f"{r.where}: {r.slug} raised as {r.status}, registered {known.status}")
    return wrong


def test_every_raised_problem_type_is_registered_with_its_status() -> None:
    raised = raised_everywhere()
    assert len({r.slug for r in raised}) > 100, "the scan found too little: is it still reading?"
    assert problems_of(raised) == []


def test_the_scan_catches_an_unregistered_slug_and_a_wrong_status() -> None:
    source = (
        "class Teapot(Problem):\n    status = 418\n    slug = 'teapot'\n"
        "raise NotFound('x', slug='learner-not-found')\n"
        "raise Conflict('x', slug='attempt-not-found')\n"
        "raise NotFound('x', slug=f'{kind}-gone')\n"
        "raise UnprocessableContent('x', slug='made-up-slug')\n"
    )
    wrong = problems_of(list(scan(source, "probe.py", dict(BASE_STATUS))))
    assert wrong == [
        "probe.py: teapot is not registered in pathwise_shared.problem_types",
        "probe.py:5: attempt-not-found raised as 409, registered 404",
        "probe.py:6: *-gone is no registered family",
        "probe.py:7: made-up-slug is not registered in pathwise_shared.problem_types",
    ]


@pytest.mark.parametrize("slug", sorted(CATALOG))
def test_a_registered_type_has_a_slug_status_and_title(slug: str) -> None:
    kind = CATALOG[slug]
    assert kind.slug == slug and kind.type == PROBLEM_TYPE_BASE + slug
    assert 400 <= kind.status <= 599 and kind.title and kind.title[0].isupper()


def test_every_registered_type_is_answered_somewhere() -> None:
    """The converse: a registered type the code never sends would be documented (docs/api.md,
    docs/problems.md) for nothing. The token endpoint's types are built from its RFC 6749 error
    codes (``invalid_grant`` -> ``invalid-grant``), so those count as sent."""
    from pathwise_gateway.edge.domain.token_request import OAUTH_ERRORS

    sent = {r.slug.replace("*", "{object}") for r in raised_everywhere()}
    sent |= {error.replace("_", "-") for error in OAUTH_ERRORS}
    never = sorted(slug for slug in [*CATALOG, *FAMILIES] if slug not in sent)
    assert never == [], f"registered but never sent (remove them or send them): {never}"
