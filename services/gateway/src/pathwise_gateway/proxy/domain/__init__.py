"""Proxy rules without I/O: route table, breaker, object ids, learners in an answer."""

__all__: list[str] = []
