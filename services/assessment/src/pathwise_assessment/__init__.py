"""Pathwise assessment service: Item bank, assessments and attempts, scoring, Bayesian Knowledge Tracing mastery, model fitting, adaptive checks."""

__all__: list[str] = []
