"""Tables of the docs that are produced from the code, never written by hand.

- ``access`` (docs/security.md): every public operation's declared access rule.
- ``problems`` (docs/api.md): every registered problem type (``pathwise_shared.problem_types``).
- ``problem-pages`` (docs/problems.md): the page of each problem type, the one its ``type`` URI
  names (an anchor per slug).

``python -m pathwise_devstack.doc_tables`` prints them; ``--write`` replaces each table between
its markers in its page. ``tests/test_doc_tables.py`` fails when a page and the code disagree, so
no page is a second, drifting copy of the rules.
"""

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from pathwise_shared.access import ACCESS_EXTENSION, AccessRule, is_public_path
from pathwise_shared.problem_types import CATALOG, FAMILIES, PROBLEM_TYPE_BASE, ProblemType

__all__ = [
    "TABLES",
    "access_table",
    "markers",
    "problem_pages",
    "problem_table",
    "replace_table",
    "shown_table",
]

_METHODS = ("get", "post", "put", "patch", "delete")
_ROLE_ABBREVIATIONS = {
    "student": "S",
    "guardian": "G",
    "teacher": "T",
    "school_admin": "SA",
    "district_admin": "DA",
}


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from pathwise_assessment.app import create_app as assessment_app
    from pathwise_gateway.app import create_app as gateway_app
    from pathwise_pathways.app import create_app as pathways_app
    from pathwise_profiles.app import create_app as profiles_app

    return {
        "profiles": profiles_app,
        "pathways": pathways_app,
        "assessment": assessment_app,
        "gateway": gateway_app,
    }


def _access_rows(service: str, spec: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path, item in spec.get("paths", {}).items():
        if not is_public_path(path):
            continue
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            rule = AccessRule.from_openapi(op.get(ACCESS_EXTENSION))
            if rule is None:
                rows.append((path, method.upper(), service, "public (own checks)", "", "", "", ""))
                continue
            roles = " ".join(_ROLE_ABBREVIATIONS[r] for r in _ROLE_ABBREVIATIONS if r in rule.roles)
            if rule.anonymous:
                roles = "anyone, no token"
            ref = rule.object
            target = "" if ref is None else f"{ref.kind} `{ref.param}` ({ref.source})"
            rows.append((
                path, method.upper(), service, roles or "operators only",
                " ".join(sorted(rule.scopes)), rule.action, target,
                " ".join(f"`{p}`" for p in sorted(rule.service_checks)),
            ))  # fmt: skip
    return rows


def access_table() -> str:
    os.environ.setdefault("PATHWISE_ENV", "test")
    rows: list[tuple[str, ...]] = []
    for service, make in _apps().items():
        rows.extend(_access_rows(service, make().openapi()))
    rows.sort()
    lines = [
        "| path | method | service | roles | client scopes | action | object checked at the gateway | checked by the service |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| `" + r[0] + "` | " + " | ".join(r[1:]) + " |" for r in rows]
    return "\n".join(lines)


def _kinds() -> list[ProblemType]:
    return sorted([*CATALOG.values(), *FAMILIES.values()], key=lambda k: (k.status, k.slug))


def problem_table() -> str:
    lines = [
        f"| type (`{PROBLEM_TYPE_BASE}` + slug) | status | title | when |",
        "|---|---|---|---|",
    ]
    for kind in _kinds():
        link = f"[`{kind.slug}`](problems.md#{kind.slug})"
        lines.append(f"| {link} | {kind.status} | {kind.title} | {kind.when} |")
    return "\n".join(lines)


def problem_pages() -> str:
    sections = []
    for kind in _kinds():
        when = f"When: {kind.when}" if kind.when else "When: the title says it; `detail` says more."
        sections.append(
            f'<a id="{kind.slug}"></a>\n\n### {kind.slug}\n\n'
            f"`{kind.type}` · **{kind.status}** · {kind.title}\n\n{when}"
        )
    return "\n\n".join(sections)


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "access": ("docs/security.md", access_table),
    "problems": ("docs/api.md", problem_table),
    "problem-pages": ("docs/problems.md", problem_pages),
}


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- table:{name}:begin (generated: python -m pathwise_devstack.doc_tables --write) -->",
        f"<!-- table:{name}:end -->",
    )


def shown_table(page: str, name: str) -> str | None:
    """The table a page shows between the markers, or None when the markers are missing."""
    begin, end = markers(name)
    if begin not in page or end not in page:
        return None
    return page.split(begin, 1)[1].split(end, 1)[0].strip()


def replace_table(page: str, name: str, table: str) -> str:
    begin, end = markers(name)
    head, _, rest = page.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update the pages in place")
    parser.add_argument("--root", type=Path, default=Path())
    args = parser.parse_args(argv)
    for name, (page_path, make) in TABLES.items():
        table = make()
        if not args.write:
            sys.stdout.write(f"## {name} ({page_path})\n{table}\n\n")
            continue
        path = args.root / page_path
        page = path.read_text(encoding="utf-8")
        if shown_table(page, name) is None:
            sys.stderr.write(f"{path}: the markers of the {name} table are missing\n")
            return 1
        path.write_text(replace_table(page, name, table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
