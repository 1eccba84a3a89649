"""The demo webhook receiver of ``make run``: what a district's system would run, in miniature.

``python -m pathwise_devstack.receiver --port 8010`` listens on loopback, verifies every delivery
with the ``standardwebhooks`` library (the same check a district would make, not our own code),
answers 401 to anything unsigned or signed with another secret, acknowledges a ``webhook-id`` it
has seen before without counting it twice (deliveries are at least once), prints one line per
verified event, and keeps the last ones readable at ``GET /events`` (each with its raw body and
headers, so a test can verify the signature again on its own).
"""

import argparse
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["HOOK_PATH", "ReceiverState", "create_app", "main"]

HOOK_PATH = "/hooks/demo"
KEPT = 500
_SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass
class ReceiverState:
    secrets: list[str]
    quiet: bool = False
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEPT))
    seen: set[str] = field(default_factory=set)
    verified: int = 0
    duplicates: int = 0
    refused: int = 0

    def verify(self, body: bytes, headers: dict[str, str]) -> Any:
        """The parsed payload if any secret verifies it, else None."""
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            # The library raises ValueError on a malformed signature header, not only its own.
            except (WebhookVerificationError, ValueError):
                continue
        return None


def _summary(payload: Any) -> str:
    if not isinstance(payload, dict):
        return "?"
    data = payload.get("data")
    if not isinstance(data, dict):
        data = {}
    details = " ".join(
        f"{key}={data[key]}"
        for key in ("learner_id", "skill_code", "mastered", "level", "reason")
        if key in data
    )
    return f"{payload.get('type')} {details}".strip()


def create_app(state: ReceiverState) -> Starlette:
    async def hook(request: Request) -> Response:
        body = await request.body()
        headers = {key: request.headers.get(key, "") for key in _SIGNED_HEADERS}
        payload = state.verify(body, headers)
        if payload is None:
            state.refused += 1
            return PlainTextResponse("signature not verified", status_code=401)
        msg_id = headers["webhook-id"]
        if msg_id in state.seen:
            state.duplicates += 1
            return PlainTextResponse("duplicate, already processed")
        state.seen.add(msg_id)
        state.verified += 1
        state.events.append(
            {
                "webhook_id": msg_id,
                "type": payload.get("type") if isinstance(payload, dict) else None,
                "payload": payload,
                "body": body.decode(),
                "headers": headers,
            }
        )
        if not state.quiet:
            print(f"receiver: verified {_summary(payload)} ({msg_id})", flush=True)
        return PlainTextResponse("ok")

    async def events(request: Request) -> Response:
        wanted = request.query_params.get("type")
        items = [e for e in state.events if wanted is None or e["type"] == wanted]
        return JSONResponse(
            {
                "verified": state.verified,
                "duplicates": state.duplicates,
                "refused": state.refused,
                "items": items,
            }
        )

    async def ready(_: Request) -> Response:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[
            Route(HOOK_PATH, hook, methods=["POST"]),
            Route("/events", events, methods=["GET"]),
            Route("/readyz", ready, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pathwise_devstack.receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument(
        "--secret",
        action="append",
        help="whsec_ secret to verify with (repeatable); default: $PATHWISE_DEMO_WEBHOOK_SECRET, "
        "else the demo endpoint's secret",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each event")
    args = parser.parse_args(argv)
    secrets = args.secret or [os.environ.get("PATHWISE_DEMO_WEBHOOK_SECRET", "")]
    if not secrets[0]:
        # Imported here so the receiver stays usable with a secret of one's own.
        from pathwise_gateway.seed import DEMO_WEBHOOK_SECRET

        secrets = [DEMO_WEBHOOK_SECRET]
    state = ReceiverState(secrets=secrets, quiet=args.quiet)
    uvicorn.run(
        create_app(state),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
