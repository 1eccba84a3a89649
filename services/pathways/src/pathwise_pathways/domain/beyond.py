"""Learning beyond the classroom (docs/pathways.md): which activities are off-site, when one needs
a guardian's consent, and the checks of its dates. Pure rules."""

from datetime import date

from pathwise_shared.problems import UnprocessableContent

__all__ = ["BEYOND_KINDS", "KINDS", "check_dates", "needs_consent"]

KINDS = ("classroom", "community", "field_trip", "internship", "service", "project")
# Kinds that take a learner out of the classroom (a partner, a place, a supervisor).
BEYOND_KINDS = frozenset(KINDS) - {"classroom"}


def needs_consent(kind: str, requires_guardian_consent: bool, policy: str) -> bool:
    """``PATHWAYS_OFF_SITE_CONSENT``: ``required`` (default) makes every activity beyond the
    classroom need a guardian's consent; ``optional`` leaves it to each activity's
    ``requires_guardian_consent``. A classroom activity never needs it."""
    if kind not in BEYOND_KINDS:
        return False
    return policy == "required" or requires_guardian_consent


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise UnprocessableContent(
            f"The activity ends ({ends_on}) before it starts ({starts_on}).",
            slug="invalid-dates",
            field="ends_on",
        )
