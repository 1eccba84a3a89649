"""The README and docs link only inside the repository, and every such link resolves."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_stay_inside_the_repository_and_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            broken.append(f"{target}: links outside the repository")
        elif path and not (page.parent / path).resolve().is_relative_to(ROOT):
            broken.append(f"{target}: points outside the repository")
        elif path and not (page.parent / path).exists():
            broken.append(f"{target}: no such file")
    assert broken == []
