"""The RateLimit headers on every answer (errors included), from the state the authentication
dependency left (``edge.service.ratelimit``)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pathwise_gateway.edge.service.ratelimit import STATE_KEY, RateState

__all__ = ["RateLimitHeadersMiddleware"]


class RateLimitHeadersMiddleware:
    """Adds the RateLimit headers that the auth dependency left in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {}).get(STATE_KEY)
                if isinstance(state, RateState):
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [
                        (k.lower().encode(), v.encode())
                        for k, v in state.headers().items()
                        if k.lower().encode() not in present
                    ]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
