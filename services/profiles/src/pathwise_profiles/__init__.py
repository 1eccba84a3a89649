"""Pathwise profiles service: Districts, schools, classes, enrollments, users and guardian links; learner profiles and goals; OneRoster import; access checks."""

__all__: list[str] = []
