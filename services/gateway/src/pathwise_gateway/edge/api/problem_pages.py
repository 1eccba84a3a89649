"""``GET /problems/{slug}``: the page of a problem type, so the ``type`` URI of an error body
(``https://pathwise.dev/problems/<slug>``) resolves to what it means wherever that host points at a
gateway. Made from the registry (``pathwise_shared.problem_types``), like docs/problems.md; not
part of the API (no token, not in the OpenAPI document)."""

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from pathwise_shared.problem_types import CATALOG, FAMILIES, PROBLEM_TYPE_BASE, ProblemType, lookup
from pathwise_shared.problems import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/problems", include_in_schema=False)


def _page(title: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )
    # The registry changes only with a release: a day of caching is safe.
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=86400"})


def _entry(kind: ProblemType) -> str:
    when = f"<p>When: {escape(kind.when)}</p>" if kind.when else ""
    return (
        f"<h1>{escape(kind.title)}</h1>"
        f"<p><code>{escape(PROBLEM_TYPE_BASE + kind.slug)}</code>, HTTP {kind.status}</p>{when}"
        "<p>The body is <code>application/problem+json</code> (RFC 9457): <code>detail</code> "
        "says what happened this time, <code>request_id</code> is the id to quote.</p>"
        '<p><a href="./">All problem types</a></p>'
    )


@router.get("/")
async def problem_index() -> HTMLResponse:
    kinds = sorted([*CATALOG.values(), *FAMILIES.values()], key=lambda k: (k.status, k.slug))
    rows = "".join(
        f'<li><a href="{escape(k.slug)}">{escape(k.slug)}</a> ({k.status}): {escape(k.title)}</li>'
        for k in kinds
    )
    return _page("Pathwise problem types", f"<h1>Pathwise problem types</h1><ul>{rows}</ul>")


@router.get("/{slug}")
async def problem_page(slug: str) -> HTMLResponse:
    kind = lookup(slug)
    if kind is None:
        raise NotFound(f"No problem type {slug!r}.", slug="not-found")
    return _page(kind.title, _entry(kind))
