"""A district's own standards from a CSV file: ``code``, ``title`` and the optional ``parent``,
``prerequisites`` (codes separated by ``;``), ``grade`` and ``description`` columns.

Pure: text in, :class:`FrameworkData` and row errors out. Every error names its line (the header
is line 1) and column, as the roster import does; the file is taken whole or not at all, since a
framework missing a row would leave prerequisites pointing nowhere.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from pathwise_pathways.domain.frameworks import EdgeData, FrameworkData, SkillData
from pathwise_pathways.domain.graph import CycleError, build_graph

__all__ = ["COLUMNS", "CsvFramework", "CsvRowError", "parse_framework_csv"]

COLUMNS = ("code", "title", "parent", "prerequisites", "grade", "description")
REQUIRED = ("code", "title")
_CODE = re.compile(r"^[A-Za-z0-9._\-]+$")
_LIMITS = {"code": 100, "title": 300, "parent": 100, "grade": 20, "description": 10_000}


@dataclass(frozen=True, slots=True)
class CsvRowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class CsvFramework:
    data: FrameworkData
    errors: list[CsvRowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


def _read_rows(text: str, result: CsvFramework) -> list[_Row] | None:
    """The data rows with their first line; None when the header makes the file unreadable."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append(CsvRowError(1, "", "the file is empty"))
        return None
    except csv.Error as exc:
        result.errors.append(CsvRowError(1, "", f"unreadable header: {exc}"))
        return None
    names = [h.strip().lower() for h in header]
    for name in REQUIRED:
        if name not in names:
            result.errors.append(CsvRowError(1, name, f"the header has no {name} column"))
    for name in sorted({n for n in names if names.count(n) > 1 and n}):
        result.errors.append(CsvRowError(1, name, "the column appears more than once"))
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        result.data.notes.append("columns ignored: " + ", ".join(n or "(blank)" for n in unknown))
    if result.errors:
        return None
    rows: list[_Row] = []
    start = 2
    try:
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(names):
                result.errors.append(
                    CsvRowError(line, "", f"{len(values)} values for {len(names)} columns")
                )
                continue
            rows.append(_Row(line, dict(zip(names, values, strict=False))))
    except csv.Error as exc:
        result.errors.append(CsvRowError(start, "", f"unreadable row: {exc}"))
    return rows


def parse_framework_csv(text: str, *, key: str, title: str, subject: str) -> CsvFramework:
    """The framework a CSV describes, or the errors that keep it from being one."""
    result = CsvFramework(FrameworkData(key=key, title=title, subject=subject, source="csv"))
    rows = _read_rows(text, result)
    if rows is None:
        return result
    if not rows:
        result.errors.append(CsvRowError(2, "", "the file has no rows"))
        return result
    first_line: dict[str, int] = {}
    kept: list[_Row] = []
    for row in rows:
        errors = _check_values(row)
        code = row.get("code")
        if code and code in first_line:
            errors.append(
                CsvRowError(row.line, "code", f"{code} is also on line {first_line[code]}")
            )
        result.errors.extend(errors)
        if code and "code" not in {e.field for e in errors}:
            first_line.setdefault(code, row.line)
        if not errors:
            kept.append(row)
    codes = set(first_line)
    parents: dict[str, str] = {}
    for row in kept:
        code, parent = row.get("code"), row.get("parent")
        if parent and parent not in codes:
            result.errors.append(CsvRowError(row.line, "parent", f"no row has code {parent}"))
        elif parent:
            parents[code] = parent
        for prereq in _split(row.get("prerequisites")):
            if prereq == code:
                result.errors.append(
                    CsvRowError(row.line, "prerequisites", f"{code} cannot be its own prerequisite")
                )
            elif prereq not in codes:
                result.errors.append(
                    CsvRowError(row.line, "prerequisites", f"no row has code {prereq}")
                )
            else:
                result.data.edges.append(EdgeData(prereq, code, "prerequisite"))
        description = row.get("description") or row.get("title")
        result.data.skills.append(
            SkillData(
                code=code,
                title=row.get("title"),
                description=description,
                subject=subject,
                grade=row.get("grade") or None,
                parent_code=parent or None,
            )
        )
    _check_loops(result, parents, first_line)
    return result


def _check_values(row: _Row) -> list[CsvRowError]:
    errors: list[CsvRowError] = []
    for name in REQUIRED:
        if not row.get(name):
            errors.append(CsvRowError(row.line, name, f"{name} is required"))
    for name, limit in _LIMITS.items():
        if len(row.get(name)) > limit:
            errors.append(CsvRowError(row.line, name, f"longer than {limit} characters"))
    code = row.get("code")
    if code and len(code) <= _LIMITS["code"] and not _CODE.match(code):
        errors.append(
            CsvRowError(row.line, "code", f"{code!r}: only letters, digits, '.', '_' and '-'")
        )
    return errors


def _split(cell: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in cell.split(";") if p.strip()))


def _check_loops(result: CsvFramework, parents: dict[str, str], lines: dict[str, int]) -> None:
    """A parent chain or a prerequisite chain that comes back to where it started."""
    for start in sorted(parents, key=lambda c: lines[c]):
        chain, code = [start], parents[start]
        while code in parents and code not in chain:
            chain.append(code)
            code = parents[code]
        if code == start:
            loop = " → ".join([*chain, start])
            result.errors.append(CsvRowError(lines[start], "parent", f"the parents loop: {loop}"))
    try:
        build_graph(lines, [(e.source, e.target) for e in result.data.edges])
    except CycleError as exc:
        first = min(exc.cycle, key=lambda c: lines[c])
        result.errors.append(
            CsvRowError(
                lines[first], "prerequisites", "the prerequisites loop: " + " → ".join(exc.cycle)
            )
        )
