"""Structured logging with the request id on every line."""

import logging
import sys

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s [%(service)s] [%(correlation_id)s] %(name)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(service)s %(correlation_id)s %(name)s %(message)s"


class _ServiceFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        return True


def configure_logging(service: str, *, level: str = "INFO", json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationIdFilter(uuid_length=32, default_value="-"))
    handler.addFilter(_ServiceFilter(service))
    formatter: logging.Formatter = (
        JsonFormatter(_JSON_FIELDS, rename_fields={"correlation_id": "request_id"})
        if json
        else logging.Formatter(_TEXT_FORMAT)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The access log only when uvicorn has one (``--no-access-log`` leaves it without handlers):
    # propagating it to our handler would write a line per request that the operator turned off
    # (and uvicorn decides per connection from ``hasHandlers()``, so it must stay off here).
    # A second call (several apps in one process) finds it already routed here: kept as it is.
    access = logging.getLogger("uvicorn.access")
    enabled = bool(access.handlers) or access.propagate
    access.handlers[:] = []
    access.propagate = enabled
    # httpx logs every outgoing request at INFO: a line per forwarded call and per internal call,
    # on the hot path of the gateway. Failures still surface (as our own warnings and errors).
    logging.getLogger("httpx").setLevel(logging.WARNING)
