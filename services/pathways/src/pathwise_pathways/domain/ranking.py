"""Choice boards: the activities of a step ranked by fit with one learner, with reasons in words.

The score is a small sum of explainable parts (format, interests, language, accessibility,
difficulty against current mastery), so every point a card gains or loses has a sentence. Each
sentence also names the profile part it comes from (``Reason.part``), so what a viewer is shown
can be filtered by what that viewer may see of the profile (``domain/disclosure.py``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ACCESSIBILITY_FEATURES",
    "FORMATS",
    "ActivityCard",
    "BoardEntry",
    "LearnerFit",
    "Reason",
    "accessibility_needs",
    "language_name",
    "rank_board",
    "score_card",
]

FORMATS = ("video", "text", "audio", "interactive", "hands_on", "game")
ACCESSIBILITY_FEATURES = (
    "captions",
    "text_to_speech",
    "large_print",
    "transcript",
    "screen_reader",
)

# Accommodation terms (profiles' vocabulary is free text) → the activity feature that serves them.
_NEEDS = {
    "captions": "captions",
    "closed_captions": "captions",
    "hearing": "captions",
    "text_to_speech": "text_to_speech",
    "read_aloud": "text_to_speech",
    "tts": "text_to_speech",
    "large_print": "large_print",
    "enlarged_text": "large_print",
    "visual": "large_print",
    "transcript": "transcript",
    "screen_reader": "screen_reader",
}

_LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "pt": "Portuguese",
    "so": "Somali",
    "ht": "Haitian Creole",
}

_FEATURE_WORDS = {
    "captions": "captions",
    "text_to_speech": "text-to-speech",
    "large_print": "large print",
    "transcript": "a transcript",
    "screen_reader": "screen-reader support",
}


def accessibility_needs(terms: Iterable[str]) -> frozenset[str]:
    found = set()
    for term in terms:
        key = term.strip().lower().replace("-", "_").replace(" ", "_")
        if key in _NEEDS:
            found.add(_NEEDS[key])
    return frozenset(found)


def language_name(code: str) -> str:
    return _LANGUAGE_NAMES.get(code.lower().split("-")[0], code)


@dataclass(frozen=True)
class LearnerFit:
    interests: frozenset[str] = frozenset()
    preferred_formats: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    english_learner: bool = False
    needs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ActivityCard:
    id: str
    title: str
    format: str
    difficulty: int
    minutes: int
    languages: tuple[str, ...] = ("en",)
    accessibility: frozenset[str] = frozenset()
    interest_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """One sentence of a card's score: its words, the profile part it derives from (None when it
    comes from no profile part, e.g. mastery) and the points it added or took away."""

    text: str
    part: str | None
    points: float


@dataclass(frozen=True)
class BoardEntry:
    activity_id: str
    title: str
    format: str
    minutes: int
    score: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def _lang_base(code: str) -> str:
    return code.lower().split("-")[0]


def score_card(card: ActivityCard, learner: LearnerFit, p_known: float | None) -> BoardEntry:
    reasons: list[Reason] = []

    def add(points: float, part: str | None, text: str) -> None:
        reasons.append(Reason(text, part, points))

    fmt = card.format.replace("_", "-")
    if learner.preferred_formats:
        if card.format == learner.preferred_formats[0]:
            add(3, "preferred_formats", f"{fmt} preferred")
        elif card.format in learner.preferred_formats:
            add(2, "preferred_formats", f"{fmt} is among preferred formats")
    interests = {i.lower() for i in learner.interests}
    matched = sorted(t for t in card.interest_tags if t.lower() in interests)
    for tag in matched[:2]:
        add(2, "interests", f"matches interest: {tag}")
    card_langs = {_lang_base(code) for code in card.languages}
    learner_langs = [_lang_base(code) for code in learner.languages] or ["en"]
    home = next((code for code in learner_langs if code != "en"), None)
    if home and home in card_langs:
        add(2 if learner.english_learner else 1, "languages", f"in {language_name(home)}")
    elif not card_langs.intersection(learner_langs):
        names = ", ".join(language_name(c) for c in sorted(card_langs)) or "no listed language"
        add(-5, "languages", f"only in {names}")
    for need in sorted(learner.needs):
        if need in card.accessibility:
            add(2, "accommodations", f"has {_FEATURE_WORDS.get(need, need)}")
        else:
            add(-3, "accommodations", f"lacks {_FEATURE_WORDS.get(need, need)}")
    target = 1 + 4 * (0.3 if p_known is None else min(max(p_known, 0.0), 1.0))
    gap = card.difficulty - target
    if abs(gap) <= 1:
        add(2, None, f"difficulty {card.difficulty} fits current mastery")
    elif gap > 1:
        add(-gap, None, f"difficulty {card.difficulty} is a stretch")
    else:
        add(gap / 2, None, f"difficulty {card.difficulty} is below current level")
    return BoardEntry(
        activity_id=card.id,
        title=card.title,
        format=card.format,
        minutes=card.minutes,
        score=round(sum(r.points for r in reasons), 2),
        reasons=tuple(reasons),
    )


def rank_board(
    cards: Sequence[ActivityCard], learner: LearnerFit, p_known: float | None, size: int = 5
) -> list[BoardEntry]:
    """The ``size`` best cards, best first; ties go to the shorter activity, then the id."""
    entries = [score_card(card, learner, p_known) for card in cards]
    entries.sort(key=lambda e: (-e.score, e.minutes, e.activity_id))
    return entries[:size]
