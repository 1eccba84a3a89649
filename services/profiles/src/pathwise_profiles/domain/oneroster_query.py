"""The query parameters of the OneRoster 1.2 REST binding: ``filter``, ``sort``/``orderBy``,
``fields``, ``limit``/``offset``, read and checked against the fields of one collection. Pure.

``filter`` is the specification's small grammar: predicates ``field<op>'value'`` with the
operators ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=`` and ``~`` (contains), joined by ``AND`` or
``OR`` (one kind per filter). A value is quoted with single quotes; a quote inside one is written
twice (``familyName='O''Brien'``), the one escape the grammar leaves room for. Every value is
converted to its field's type here, so the repository only ever sees typed conditions, and a
value that cannot be one (a date that is not a date) is the caller's 400, not a database error.

Anything wrong is a :class:`QueryError` naming the specification's code (``invalid_filter_field``,
``invalid_selection_field``, ``invalid_sort_field``), which the service turns into a problem.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import urlencode

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Condition",
    "FieldType",
    "Filter",
    "Op",
    "Paging",
    "Predicate",
    "QueryError",
    "Sort",
    "check_filter",
    "page_links",
    "parse_fields",
    "parse_filter",
    "parse_paging",
    "parse_sort",
    "select_fields",
]

DEFAULT_LIMIT = 100
# A larger ``limit`` is served as this many (clients such as sync tools ask for 5,000 and follow
# the ``next`` link), not refused.
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
MAX_PREDICATES = 20
MAX_FILTER_LENGTH = 4000

Op = Literal["=", "!=", ">", ">=", "<", "<=", "~"]
# Longest first, so ">=" is not read as ">" followed by "=".
_OPS: tuple[Op, ...] = (">=", "<=", "!=", "=", ">", "<", "~")
# How a field compares: ``id`` is a sourcedId (ours or the district's), ``role`` a OneRoster role
# name, ``year`` a school year ("2027").
FieldType = Literal["string", "datetime", "date", "boolean", "id", "role", "year"]
_ALLOWED_OPS: Mapping[FieldType, frozenset[str]] = {
    "string": frozenset(_OPS),
    "datetime": frozenset({"=", "!=", ">", ">=", "<", "<="}),
    "date": frozenset({"=", "!=", ">", ">=", "<", "<="}),
    "year": frozenset({"=", "!=", ">", ">=", "<", "<="}),
    "boolean": frozenset({"=", "!="}),
    "id": frozenset({"=", "!="}),
    "role": frozenset({"=", "!="}),
}
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?")
_YEAR = re.compile(r"\d{4}")

Code = Literal[
    "invalid_filter_field", "invalid_selection_field", "invalid_sort_field", "invalid_data"
]


class QueryError(Exception):
    """A query parameter the collection cannot serve; ``code`` is the specification's."""

    def __init__(self, code: Code, message: str, parameter: str) -> None:
        super().__init__(message)
        self.code: Code = code
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True)
class Predicate:
    field: str
    op: Op
    value: str


@dataclass(frozen=True)
class Filter:
    predicates: tuple[Predicate, ...]
    logic: Literal["AND", "OR"] = "AND"


@dataclass(frozen=True)
class Condition:
    """A predicate whose value has its field's type."""

    field: str
    type: FieldType
    op: Op
    value: str | datetime | date | bool | int


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def _bad_filter(message: str) -> QueryError:
    return QueryError("invalid_data", f"filter: {message}", "filter")


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    return pos


def _read_value(text: str, pos: int) -> tuple[str, int]:
    """The quoted value starting at ``pos`` (a quote) and the position after its closing quote."""
    if pos >= len(text) or text[pos] != "'":
        raise _bad_filter(f"expected a value in single quotes at position {pos + 1}")
    pos += 1
    value: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "'":
            if text.startswith("''", pos):
                value.append("'")
                pos += 2
                continue
            return "".join(value), pos + 1
        value.append(char)
        pos += 1
    raise _bad_filter("a value's closing quote is missing")


def parse_filter(text: str) -> Filter:
    """The predicates of a ``filter`` and how they are joined; syntax only (fields unchecked)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _bad_filter(f"longer than {MAX_FILTER_LENGTH} characters")
    predicates: list[Predicate] = []
    logic: Literal["AND", "OR"] | None = None
    pos = _skip_spaces(text, 0)
    if pos == len(text):
        raise _bad_filter("empty")
    while True:
        found = _FIELD.match(text, pos)
        if found is None:
            raise _bad_filter(f"expected a field name at position {pos + 1}")
        field, pos = found.group(), _skip_spaces(text, found.end())
        op = next((o for o in _OPS if text.startswith(o, pos)), None)
        if op is None:
            raise _bad_filter(f"expected an operator (=, !=, >, >=, <, <=, ~) after {field!r}")
        value, pos = _read_value(text, _skip_spaces(text, pos + len(op)))
        predicates.append(Predicate(field, op, value))
        if len(predicates) > MAX_PREDICATES:
            raise _bad_filter(f"more than {MAX_PREDICATES} predicates")
        after = _skip_spaces(text, pos)
        if after == len(text):
            break
        word = re.match(r"(AND|OR)(?: +|$)", text[after:], re.IGNORECASE)
        if after == pos or word is None:
            raise _bad_filter(f"expected AND or OR between predicates at position {after + 1}")
        joined: Literal["AND", "OR"] = "AND" if word.group(1).upper() == "AND" else "OR"
        if logic is not None and joined != logic:
            raise _bad_filter("AND and OR cannot be mixed in one filter")
        logic = joined
        pos = after + word.end()
    return Filter(tuple(predicates), logic or "AND")


def _typed(field: str, kind: FieldType, value: str) -> str | datetime | date | bool | int:
    try:
        if kind == "datetime":
            # A date alone means its start (UTC); a time without a zone is taken as UTC.
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        if kind == "date":
            return date.fromisoformat(value)
    except ValueError as exc:
        raise _bad_filter(f"{field}: {value!r} is not an ISO 8601 {kind}") from exc
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise _bad_filter(f"{field}: {value!r} is not true or false")
        return value.lower() == "true"
    if kind == "year":
        if not _YEAR.fullmatch(value):
            raise _bad_filter(f"{field}: {value!r} is not a year (YYYY)")
        return int(value)
    return value


def check_filter(parsed: Filter, fields: Mapping[str, FieldType]) -> list[Condition]:
    """The typed conditions of a parsed filter over a collection's filterable ``fields``."""
    conditions: list[Condition] = []
    for p in parsed.predicates:
        kind = fields.get(p.field)
        if kind is None:
            raise QueryError(
                "invalid_filter_field",
                f"filter: {p.field!r} is not a field this collection filters on "
                f"({', '.join(sorted(fields))})",
                "filter",
            )
        if p.op not in _ALLOWED_OPS[kind]:
            allowed = " ".join(o for o in _OPS if o in _ALLOWED_OPS[kind])
            raise _bad_filter(f"{p.field} takes only {allowed}")
        conditions.append(Condition(p.field, kind, p.op, _typed(p.field, kind, p.value)))
    return conditions


def parse_sort(
    sort: str | None, order_by: str | None, fields: Mapping[str, FieldType]
) -> Sort | None:
    """``sort`` names one field; ``orderBy`` is ``asc`` (the default) or ``desc``."""
    direction = (order_by or "asc").strip().lower()
    if direction not in ("asc", "desc"):
        raise QueryError("invalid_data", "orderBy: must be asc or desc", "orderBy")
    if sort is None or not sort.strip():
        if order_by is not None:
            raise QueryError("invalid_sort_field", "orderBy needs sort", "sort")
        return None
    field = sort.strip()
    if fields.get(field) in (None, "role"):
        sortable = sorted(f for f, kind in fields.items() if kind != "role")
        raise QueryError(
            "invalid_sort_field",
            f"sort: {field!r} is not a field this collection sorts on ({', '.join(sortable)})",
            "sort",
        )
    return Sort(field, direction == "desc")


def parse_fields(raw: str | None, selectable: Sequence[str]) -> tuple[str, ...] | None:
    """The fields a client selected (None: all of them), in the collection's order."""
    if raw is None:
        return None
    wanted = [f.strip() for f in raw.split(",")]
    if not any(wanted):
        raise QueryError("invalid_selection_field", "fields: empty", "fields")
    unknown = [f for f in wanted if f not in selectable]
    if unknown:
        raise QueryError(
            "invalid_selection_field",
            f"fields: {', '.join(repr(f) for f in unknown)} not in this collection "
            f"({', '.join(selectable)})",
            "fields",
        )
    return tuple(f for f in selectable if f in wanted)


def select_fields(record: Mapping[str, object], fields: Sequence[str] | None) -> dict[str, object]:
    """The record with only the selected fields (a selected field with no value stays absent,
    as it is when nothing is selected)."""
    if fields is None:
        return dict(record)
    return {f: record[f] for f in fields if f in record}


def parse_paging(limit: str | None, offset: str | None) -> Paging:
    """``limit`` (default 100; more than ``MAX_LIMIT`` is served as ``MAX_LIMIT``) and ``offset``
    (default 0), both whole numbers."""
    size = DEFAULT_LIMIT
    if limit is not None:
        if not limit.isdigit() or int(limit) < 1:
            raise QueryError("invalid_data", "limit: must be a whole number of at least 1", "limit")
        size = min(int(limit), MAX_LIMIT)
    start = 0
    if offset is not None:
        if not offset.isdigit() or int(offset) > MAX_OFFSET:
            raise QueryError(
                "invalid_data", f"offset: must be a whole number up to {MAX_OFFSET}", "offset"
            )
        start = int(offset)
    return Paging(size, start)


def page_links(path: str, params: Sequence[tuple[str, str]], paging: Paging, total: int) -> str:
    """The ``Link`` header of a page (RFC 8288): ``first``, ``prev``, ``next`` and ``last`` as
    they apply, each the same query with its own ``offset`` (and the ``limit`` served)."""
    kept = [(k, v) for k, v in params if k not in ("limit", "offset")]

    def link(offset: int, rel: str) -> str:
        query = urlencode([*kept, ("limit", str(paging.limit)), ("offset", str(offset))])
        return f'<{path}?{query}>; rel="{rel}"'

    last = max(0, (total - 1) // paging.limit * paging.limit)
    links = [link(0, "first")]
    if paging.offset > 0:
        links.append(link(max(0, paging.offset - paging.limit), "prev"))
    if paging.offset + paging.limit < total:
        links.append(link(paging.offset + paging.limit, "next"))
    links.append(link(last, "last"))
    return ", ".join(links)
