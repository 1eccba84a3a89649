"""Transactions begin, commit and roll back in one place: ``pathwise_shared.db.uow``.

The scan reads every module of the services, the shared library and the dev tool and fails on a
``commit()``, ``rollback()`` or ``begin()`` call outside the unit-of-work module (and the engine
plumbing it is built on). Savepoints (``begin_nested``) are allowed: they live inside a unit of
work. Migrations are Alembic's own.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
SOURCES = [ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src")),
           *sorted((ROOT / "tools").glob("*/src"))]  # fmt: skip
TRANSACTION_CALLS = frozenset({"commit", "rollback", "begin"})
# The unit of work itself, and the engine plumbing under it (begin_write's rollback of a
# transaction that could not take the SQLite write lock).
HOME = frozenset({
    "shared/src/pathwise_shared/db/uow.py",
    "shared/src/pathwise_shared/db/engine.py",
})  # fmt: skip


def transaction_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TRANSACTION_CALLS
        ):
            found.append((node.lineno, node.func.attr))
    return sorted(found)


def outside_the_unit_of_work() -> list[str]:
    found = []
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if "migrations" in path.parts or name in HOME:
                continue
            for line, call in transaction_calls(path.read_text("utf-8")):
                found.append(f"{name}:{line}: {call}()")
    return found


def test_transactions_are_opened_and_closed_only_by_the_unit_of_work() -> None:
    assert outside_the_unit_of_work() == []


def test_the_scan_finds_a_hand_written_commit() -> None:
    source = (
        "async def job(db):\n"
        "    async with db.session() as s:\n"
        "        await s.commit()\n"
        "    async with db.engine.begin() as c:\n"
        "        await c.begin_nested()\n"
    )
    assert transaction_calls(source) == [(3, "commit"), (4, "begin")]
