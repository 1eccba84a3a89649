"""Pathwise gateway service: The one public API of Pathwise: authentication, authorization, routing, aggregates, rate limits, audit, events and webhooks."""

__all__: list[str] = []
