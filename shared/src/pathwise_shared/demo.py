"""Deterministic ids of the demo district, so each service can seed its part independently and a
second ``make run`` finds the same rows instead of adding new ones."""

import uuid

__all__ = ["DEMO_NAMESPACE", "demo_id"]

DEMO_NAMESPACE = uuid.UUID("5b0c6a53-7d0e-4b64-9a53-6b2f0f6c1e77")


def demo_id(kind: str, key: str) -> uuid.UUID:
    """``demo_id("learner", "maya-lopez")``: the same UUID in every service, every run."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}/{key}")
