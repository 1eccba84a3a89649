"""The OneRoster REST query parameters (pure): the filter grammar, typed values, sort, field
selection, paging and the Link header."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from pathwise_profiles.domain.oneroster_query import (
    MAX_LIMIT,
    Condition,
    FieldType,
    Filter,
    Op,
    Paging,
    Predicate,
    QueryError,
    Sort,
    check_filter,
    page_links,
    parse_fields,
    parse_filter,
    parse_paging,
    parse_sort,
    select_fields,
)

FIELDS: dict[str, FieldType] = {
    "sourcedId": "id",
    "status": "string",
    "dateLastModified": "datetime",
    "givenName": "string",
    "familyName": "string",
    "enabledUser": "boolean",
    "beginDate": "date",
    "schoolYear": "year",
    "role": "role",
    "school.sourcedId": "id",
}


def test_one_predicate_and_each_operator() -> None:
    ops: tuple[Op, ...] = ("=", "!=", ">", ">=", "<", "<=", "~")
    for op in ops:
        parsed = parse_filter(f"familyName{op}'Silva'")
        assert parsed == Filter((Predicate("familyName", op, "Silva"),))


def test_predicates_joined_by_and_or_or() -> None:
    both = parse_filter("status='active' AND dateLastModified>'2026-01-01'")
    assert both.logic == "AND"
    assert both.predicates == (
        Predicate("status", "=", "active"),
        Predicate("dateLastModified", ">", "2026-01-01"),
    )
    either = parse_filter("givenName='Ana' or givenName='Ben' OR givenName='Cy'")
    assert either.logic == "OR" and [p.value for p in either.predicates] == ["Ana", "Ben", "Cy"]


def test_quotes_spaces_and_dotted_fields() -> None:
    parsed = parse_filter("  familyName = 'O''Brien AND co'  AND school.sourcedId='s 1'")
    assert parsed.predicates == (
        Predicate("familyName", "=", "O'Brien AND co"),
        Predicate("school.sourcedId", "=", "s 1"),
    )
    assert parse_filter("givenName=''").predicates == (Predicate("givenName", "=", ""),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("familyName", "expected an operator"),
        ("familyName=Silva", "single quotes"),
        ("familyName='Silva", "closing quote"),
        ("familyName='a' AND", "expected a field name"),
        ("familyName='a' givenName='b'", "AND or OR"),
        ("familyName='a'AND givenName='b'", "AND or OR"),
        ("familyName='a' AND givenName='b' OR status='x'", "cannot be mixed"),
        ("='a'", "expected a field name"),
        (" AND ".join(["status='x'"] * 21), "more than 20"),
    ],
)
def test_bad_syntax_is_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_filter(text)
    assert caught.value.code == "invalid_data" and caught.value.parameter == "filter"
    assert says in caught.value.message


def test_values_take_their_fields_types() -> None:
    text = (
        "dateLastModified>='2026-03-01T10:00:00Z' AND beginDate<'2026-09-01' AND "
        "enabledUser='TRUE' AND schoolYear='2027' AND role='student' AND sourcedId!='u-1'"
    )
    conditions = check_filter(parse_filter(text), FIELDS)
    assert conditions == [
        Condition("dateLastModified", "datetime", ">=", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        Condition("beginDate", "date", "<", date(2026, 9, 1)),
        Condition("enabledUser", "boolean", "=", True),
        Condition("schoolYear", "year", "=", 2027),
        Condition("role", "role", "=", "student"),
        Condition("sourcedId", "id", "!=", "u-1"),
    ]
    # A date alone is its start, UTC.
    (day,) = check_filter(parse_filter("dateLastModified>'2026-03-01'"), FIELDS)
    assert day.value == datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("nickname='x'", "invalid_filter_field"),
        ("dateLastModified>'yesterday'", "invalid_data"),
        ("beginDate='2026-13-01'", "invalid_data"),
        ("enabledUser='yes'", "invalid_data"),
        ("schoolYear='27'", "invalid_data"),
        ("enabledUser>'true'", "invalid_data"),
        ("role~'stud'", "invalid_data"),
        ("sourcedId>'a'", "invalid_data"),
        ("dateLastModified~'2026'", "invalid_data"),
    ],
)
def test_unknown_fields_and_values_that_do_not_fit_are_refused(text: str, code: str) -> None:
    with pytest.raises(QueryError) as caught:
        check_filter(parse_filter(text), FIELDS)
    assert caught.value.code == code


def test_sort() -> None:
    assert parse_sort(None, None, FIELDS) is None
    assert parse_sort("familyName", None, FIELDS) == Sort("familyName")
    assert parse_sort("familyName", "DESC", FIELDS) == Sort("familyName", descending=True)
    for sort, order, code in (
        ("nickname", None, "invalid_sort_field"),
        ("role", None, "invalid_sort_field"),  # a set of roles has no order
        (None, "desc", "invalid_sort_field"),
        ("familyName", "up", "invalid_data"),
    ):
        with pytest.raises(QueryError) as caught:
            parse_sort(sort, order, FIELDS)
        assert caught.value.code == code, (sort, order)


def test_fields_keep_the_collections_order_and_refuse_unknown_ones() -> None:
    order = ("sourcedId", "status", "givenName", "familyName")
    assert parse_fields(None, order) is None
    assert parse_fields("familyName, sourcedId", order) == ("sourcedId", "familyName")
    for raw in ("nickname", "sourcedId,,", " , "):
        with pytest.raises(QueryError) as caught:
            parse_fields(raw, order)
        assert caught.value.code == "invalid_selection_field"
    record = {"sourcedId": "a", "givenName": "Ana", "familyName": "Silva"}
    assert select_fields(record, ("sourcedId", "status")) == {"sourcedId": "a"}
    assert select_fields(record, None) == record


def test_paging_defaults_caps_and_refusals() -> None:
    assert parse_paging(None, None) == Paging(100, 0)
    assert parse_paging("5000", "20") == Paging(MAX_LIMIT, 20)
    for limit, offset in (("0", None), ("-1", None), ("ten", None), (None, "-5"), (None, "1.5")):
        with pytest.raises(QueryError) as caught:
            parse_paging(limit, offset)
        assert caught.value.code == "invalid_data"


def _links(header: str) -> dict[str, dict[str, list[str]]]:
    found = {}
    for part in header.split(", "):
        target, rel = part.split("; ")
        url = urlsplit(target.strip("<>"))
        found[rel.removeprefix('rel="').rstrip('"')] = {"path": [url.path], **parse_qs(url.query)}
    return found


def test_link_header_keeps_the_query_and_moves_the_offset() -> None:
    params = [("filter", "status='active'"), ("limit", "5000"), ("offset", "10"), ("sort", "x")]
    links = _links(page_links("/p/users", params, Paging(10, 10), 35))
    assert set(links) == {"first", "prev", "next", "last"}
    assert {rel: link["offset"] for rel, link in links.items()} == {
        "first": ["0"], "prev": ["0"], "next": ["20"], "last": ["30"],
    }  # fmt: skip
    for link in links.values():
        assert link["filter"] == ["status='active'"] and link["sort"] == ["x"]
        assert link["limit"] == ["10"] and link["path"] == ["/p/users"]
    last_page = _links(page_links("/p/users", [], Paging(10, 30), 35))
    assert set(last_page) == {"first", "prev", "last"}
    empty = _links(page_links("/p/users", [], Paging(10, 0), 0))
    assert set(empty) == {"first", "last"} and empty["last"]["offset"] == ["0"]
