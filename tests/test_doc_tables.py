"""The generated tables of the docs (access rules, problem types) are the ones the code produces."""

from pathlib import Path

import pytest

from pathwise_devstack.doc_tables import TABLES, replace_table, shown_table

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_page_shows_the_table_the_code_produces(name: str) -> None:
    page_path, make = TABLES[name]
    shown = shown_table((ROOT / page_path).read_text(encoding="utf-8"), name)
    assert shown is not None, f"{page_path}: the markers of the {name} table are missing"
    assert shown == make(), (
        f"{page_path} is stale: run python -m pathwise_devstack.doc_tables --write"
    )


def test_replacing_a_table_keeps_the_rest_of_the_page() -> None:
    page = "intro\n" + replace_table("", "access", "old").lstrip() + "\noutro\n"
    page = "intro\n" + page.split("intro\n", 1)[1]
    updated = replace_table(page, "access", "| new |")
    assert shown_table(updated, "access") == "| new |"
    assert updated.startswith("intro\n") and updated.endswith("\noutro\n")
