"""Dependency aliases of the proxy routers (and the aggregates', which build on the proxy):
app-state things, so no router reads ``request.app.state`` itself."""

from typing import Annotated

from fastapi import Depends, Request

from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.gateway import Gateway

__all__ = ["AuditLogDep", "GatewayDep", "gateway_of"]


def gateway_of(request: Request) -> Gateway:
    """The app's gateway, for the catch-all route that finds it without a dependency."""
    gateway: Gateway = request.app.state.gateway
    return gateway


async def _gateway(request: Request) -> Gateway:
    return gateway_of(request)


async def _audit_log(request: Request) -> AuditLog:
    audit: AuditLog = request.app.state.audit
    return audit


GatewayDep = Annotated[Gateway, Depends(_gateway)]
AuditLogDep = Annotated[AuditLog, Depends(_audit_log)]
