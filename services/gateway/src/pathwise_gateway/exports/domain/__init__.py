"""The export archive: pure (no database, no HTTP): the service hands it what it gathered."""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["ArchiveFile", "archive_file_name", "write_archive"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ArchiveFile:
    """A stored file to include: where it came from and its bytes (already fetched)."""

    service: str
    table: str
    storage_key: str
    filename: str
    content: bytes


def archive_file_name(service: str, index: int, filename: str) -> str:
    """``files/<service>/<n>-<safe name>``: never a path from the file's own name."""
    safe = _UNSAFE.sub("_", filename).strip("._")[:100] or "file"
    return f"files/{service}/{index:04d}-{safe}"


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).encode()


def write_archive(
    target: IO[bytes],
    *,
    header: Mapping[str, Any],
    parts: Mapping[str, Mapping[str, Any]],
    files: Iterable[ArchiveFile],
    access_log: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write the zip to ``target``; returns its manifest (also written, last, as
    ``manifest.json``). ``parts``: per service, its export (``tables`` of ``flat`` and
    ``rows``). Every other member is listed in the manifest with its sha256."""
    members: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    listed: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            members[name] = hashlib.sha256(data).hexdigest()

        for service, part in sorted(parts.items()):
            counts[service] = {}
            for table, content in sorted(part.get("tables", {}).items()):
                rows = list(content.get("rows", []))
                counts[service][table] = len(rows)
                put(f"{service}/{table}.json", _json(rows))
                if content.get("flat") and rows:
                    put(f"{service}/{table}.csv", _csv(rows))
        for index, item in enumerate(files, start=1):
            name = archive_file_name(item.service, index, item.filename)
            put(name, item.content)
            listed.append(
                {
                    "path": name,
                    "service": item.service,
                    "table": item.table,
                    "storage_key": item.storage_key,
                    "filename": item.filename,
                }
            )
        put("access_log.json", _json(access_log))
        manifest = {
            **header,
            "counts": counts,
            "files": listed,
            "access_log_entries": len(access_log),
            "sha256": members,
        }
        archive.writestr("manifest.json", _json(manifest))
    return manifest
