"""Dependency aliases of the webhooks routers: app-state things, so no router reads
``request.app.state`` itself (the event hub's aliases are in ``events.api.deps``)."""

from typing import Annotated

from fastapi import Depends, Request

from pathwise_shared.calls import ServiceCaller, ServiceCallers

__all__ = ["ProfilesCaller"]


async def _profiles(request: Request) -> ServiceCaller:
    callers: ServiceCallers = request.app.state.callers
    return callers["profiles"]


ProfilesCaller = Annotated[ServiceCaller, Depends(_profiles)]
