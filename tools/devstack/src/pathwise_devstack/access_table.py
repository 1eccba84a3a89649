"""The access table of docs/security.md, produced from the routes' own declarations.

``python -m pathwise_devstack.access_table`` prints it; ``--write`` replaces the table between
the markers in docs/security.md. A test fails when the page and the code disagree, so the page
is never a second, drifting copy of the rules.
"""

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from pathwise_shared.access import ACCESS_EXTENSION, AccessRule

__all__ = ["BEGIN", "END", "access_table", "replace_table"]

BEGIN = "<!-- access-table:begin (generated: python -m pathwise_devstack.access_table --write) -->"
END = "<!-- access-table:end -->"
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


def _rows(service: str, spec: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/v1/"):
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
        rows.extend(_rows(service, make().openapi()))
    rows.sort()
    lines = [
        "| path | method | service | roles | client scopes | action | object checked at the gateway | checked by the service |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| `" + r[0] + "` | " + " | ".join(r[1:]) + " |" for r in rows]
    return "\n".join(lines)


def replace_table(page: str, table: str) -> str:
    head, _, rest = page.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, nargs="?", const=Path("docs/security.md"))
    args = parser.parse_args(argv)
    table = access_table()
    if args.write is None:
        sys.stdout.write(table + "\n")
        return 0
    page = args.write.read_text(encoding="utf-8")
    if BEGIN not in page or END not in page:
        sys.stderr.write(f"{args.write}: the table markers are missing\n")
        return 1
    args.write.write_text(replace_table(page, table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
