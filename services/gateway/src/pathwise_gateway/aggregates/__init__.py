"""Aggregates: the learner overview and the class dashboard, composed from several services."""

__all__: list[str] = []
