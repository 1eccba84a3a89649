"""What every service's OpenAPI document says beyond FastAPI's defaults.

FastAPI declares a form body given as one model (``Annotated[Upload, Form()]``) as
``application/x-www-form-urlencoded`` even when the model holds an ``UploadFile``, and types the
file as a plain string: a generated client then cannot send the file. :func:`declare_file_uploads`
declares such a body ``multipart/form-data`` with the file as binary, for every route, so a new
upload route is right without a line of its own.
"""

from collections.abc import Mapping
from typing import Any

__all__ = ["FORM", "MULTIPART", "declare_file_uploads", "is_file_property"]

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_SCHEMAS = "#/components/schemas/"


def is_file_property(schema: Mapping[str, Any]) -> bool:
    """Whether a property holds a file (how pydantic writes an ``UploadFile``)."""
    return schema.get("type") == "string" and (
        "contentMediaType" in schema or schema.get("format") == "binary"
    )


def _resolve(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMAS):
        found = doc.get("components", {}).get("schemas", {}).get(ref.removeprefix(_SCHEMAS))
        return found if isinstance(found, dict) else {}
    return schema


def declare_file_uploads(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with each form body that carries a file declared as multipart (in place)."""
    for item in (doc.get("paths") or {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            form = content.get(FORM)
            if not isinstance(form, dict):
                continue
            schema = _resolve(doc, form.get("schema") or {})
            files = [
                prop
                for prop in (schema.get("properties") or {}).values()
                if isinstance(prop, dict) and is_file_property(prop)
            ]
            if not files:
                continue
            for prop in files:
                # OpenAPI 3.1 says contentMediaType; generators still look for format: binary.
                prop["format"] = "binary"
            content[MULTIPART] = content.pop(FORM)
    return doc
