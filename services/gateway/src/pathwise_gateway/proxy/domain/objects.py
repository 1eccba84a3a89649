"""Which object a call is about: the id an operation's declared object reference points at.

Pure: reads the matched path parameters, the raw query string or the raw JSON body. A path or
body object is required (a call that does not name it cannot be checked, so it is refused here,
before anything is forwarded); a query object is an optional filter (absent: no object, the
service scopes the list to the caller).
"""

import json
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs

from pathwise_shared.access import ObjectRef
from pathwise_shared.problems import NotFound, UnprocessableContent

__all__ = ["object_id_of"]


def _parse(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def object_id_of(
    ref: ObjectRef, params: Mapping[str, str], query: str, body: bytes
) -> uuid.UUID | None:
    if ref.source == "path":
        found = _parse(params.get(ref.param))
        if found is None:
            raise NotFound(f"No such {ref.kind}.", slug=f"{ref.kind}-not-found", check="object")
        return found
    if ref.source == "query":
        values = parse_qs(query, keep_blank_values=True).get(ref.param)
        if not values:
            return None
        found = _parse(values[0]) if len(values) == 1 else None
        if found is None:
            raise _invalid(f"{ref.param} must be one id.", "query", ref.param)
        return found
    try:
        document = json.loads(body) if body else None
    except (ValueError, RecursionError):
        document = None
    found = _parse(document.get(ref.param)) if isinstance(document, dict) else None
    if found is None:
        raise _invalid(
            f"The body must name the {ref.kind} as {ref.param} (an id).", "body", ref.param
        )
    return found


def _invalid(detail: str, where: str, param: str) -> UnprocessableContent:
    """The same shape as a validation error of the service, so clients handle one kind."""
    error = {"field": f"{where}.{param}", "message": detail, "type": "uuid_type"}
    return UnprocessableContent(detail, slug="invalid-object-id", errors=[error])
