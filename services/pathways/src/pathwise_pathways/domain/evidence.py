"""Step evidence rules that need no database (docs/pathways.md, "Evidence in the learner's
format"): which portfolio artifact kinds each evidence format accepts, the step rubric (criteria
with levels and points) and how a teacher's choice of levels becomes a fraction of the points.

Formats are what a teacher allows and a learner picks; artifact kinds are what the portfolio
stores. A format maps to the kinds that can carry it, so the check is made on the artifact the
learner actually submits, never on a label they attach to it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pathwise_shared.problems import (
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
)

__all__ = [
    "FORMATS",
    "FORMAT_KINDS",
    "EvidenceFormat",
    "Rubric",
    "RubricCriterion",
    "RubricLevel",
    "RubricScore",
    "format_for",
    "kinds_allowed",
    "require_rule_match",
    "rule_etag",
    "score_rubric",
]

EvidenceFormat = Literal["writing", "drawing", "audio", "video", "project"]
FORMATS: tuple[str, ...] = get_args(EvidenceFormat)

# Format → the portfolio artifact kinds (domain.portfolio.KINDS) that carry it. Writing is typed
# text or a written document (PDF); a drawing is an image (a photo or scan of paper too); a
# project is what shows a made thing: a link to it, a report, a photo or a video of it.
FORMAT_KINDS: dict[str, tuple[str, ...]] = {
    "writing": ("text", "document"),
    "drawing": ("image",),
    "audio": ("audio",),
    "video": ("video",),
    "project": ("link", "document", "image", "video"),
}

_Id = str


class RubricLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: _Id = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    description: str = Field(min_length=1, max_length=1000)
    points: float = Field(ge=0, le=100)


class RubricCriterion(BaseModel):
    """One criterion and its levels (e.g. beginning 0, developing 1, secure 2, exceeding 3)."""

    model_config = ConfigDict(extra="forbid")
    id: _Id = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    description: str = Field(min_length=1, max_length=1000)
    levels: list[RubricLevel] = Field(min_length=2, max_length=6)

    @model_validator(mode="after")
    def _levels(self) -> Self:
        if len({level.id for level in self.levels}) != len(self.levels):
            raise ValueError("level ids must be unique within a criterion")
        if self.max_points <= 0:
            raise ValueError("a criterion's best level must be worth more than 0 points")
        return self

    @property
    def max_points(self) -> float:
        return max(level.points for level in self.levels)


class Rubric(BaseModel):
    """An analytic rubric. Assessment's open-response rubric gives each criterion a maximum and
    the teacher any points up to it; a step rubric names levels instead (what a teacher marks a
    piece of work with), and its fraction is computed the same way: points given over points
    possible."""

    model_config = ConfigDict(extra="forbid")
    criteria: list[RubricCriterion] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len({c.id for c in self.criteria}) != len(self.criteria):
            raise ValueError("criterion ids must be unique")
        return self

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.criteria)


@dataclass(frozen=True)
class RubricScore:
    points: float
    max_points: float
    fraction: float


def _invalid(detail: str) -> UnprocessableContent:
    return UnprocessableContent(detail, slug="invalid-rubric-score", field="levels")


def score_rubric(rubric: Rubric, levels: Mapping[str, str]) -> RubricScore:
    """The teacher's level per criterion as points and a fraction in [0, 1]; every criterion
    needs exactly one known level (422 ``invalid-rubric-score`` otherwise)."""
    by_id = {c.id: c for c in rubric.criteria}
    unknown = sorted(set(levels) - set(by_id))
    if unknown:
        raise _invalid(f"Unknown rubric criteria: {', '.join(unknown)}.")
    missing = sorted(set(by_id) - set(levels))
    if missing:
        raise _invalid(f"Every rubric criterion needs a level; missing: {', '.join(missing)}.")
    points = 0.0
    for cid, level_id in levels.items():
        level = next((lv for lv in by_id[cid].levels if lv.id == level_id), None)
        if level is None:
            known = ", ".join(lv.id for lv in by_id[cid].levels)
            raise _invalid(f"{cid}: no level {level_id!r} (levels: {known}).")
        points += level.points
    total = rubric.max_points
    return RubricScore(round(points, 4), round(total, 4), round(min(points / total, 1.0), 6))


def kinds_allowed(formats: Sequence[str]) -> list[str]:
    """The artifact kinds the allowed formats accept, in the portfolio's order of kinds."""
    accepted = {kind for f in formats for kind in FORMAT_KINDS.get(f, ())}
    order = ("text", "link", "image", "audio", "video", "document")
    return [k for k in order if k in accepted]


def format_for(kind: str, allowed: Sequence[str], chosen: str | None = None) -> str:
    """The format a submitted artifact of ``kind`` counts as: the learner's ``chosen`` one (it
    must be allowed and carry the kind), else the first allowed format that carries it. 422
    ``evidence-format-not-allowed`` when none does (no formats at all: the step takes only its
    skill checks)."""
    if not allowed:
        raise UnprocessableContent(
            "This step takes no evidence besides its skill checks.",
            slug="evidence-format-not-allowed",
            allowed_formats=[],
            allowed_kinds=[],
        )
    candidates = [chosen] if chosen is not None else [f for f in FORMATS if f in allowed]
    for fmt in candidates:
        if fmt in allowed and kind in FORMAT_KINDS.get(fmt, ()):
            return fmt
    detail = (
        f"A {kind} artifact is not {chosen} evidence, or {chosen} is not allowed on this step."
        if chosen is not None
        else f"This step does not take {kind} artifacts as evidence."
    )
    raise UnprocessableContent(
        detail,
        slug="evidence-format-not-allowed",
        field="artifact_id" if chosen is None else "format",
        allowed_formats=list(allowed),
        allowed_kinds=kinds_allowed(allowed),
    )


def rule_etag(version: int) -> str:
    """A step's evidence rule's ETag (version 0: no rule set yet)."""
    return f'"evidence-rule-{version}"'


def require_rule_match(if_match: str | None, version: int) -> None:
    """Changing a rule that exists names the version it changes (428 without ``If-Match``, 412
    when stale); setting the first one needs none (there is nothing to overwrite)."""
    if version == 0 and not (if_match or "").strip():
        return
    current = rule_etag(version)
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the rule you change.", slug="precondition-required"
        )
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            f"The step's evidence rule changed since you read it (current ETag {current}).",
            slug="precondition-failed",
            current_etag=current,
        )
