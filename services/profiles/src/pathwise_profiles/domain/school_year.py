"""The school year: both demo districts' seeds date their sessions and enrollments by it."""

from datetime import date

__all__ = ["school_year_bounds"]


def school_year_bounds(today: date) -> tuple[date, date]:
    """The US school year containing ``today``: 1 August to 30 June."""
    start_year = today.year if today.month >= 8 else today.year - 1
    return date(start_year, 8, 1), date(start_year + 1, 6, 30)
