"""The 405 problem: a method no route serves on the path (the edge's method guard, and the proxy
for an operation a service publishes under other methods)."""

from pathwise_shared.problems import Problem

__all__ = ["MethodNotAllowed"]


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"
