"""Portfolio rules without a database: sniffing, limits, content per kind, file names."""

import struct
import zlib
from urllib.parse import unquote

import pytest

from pathwise_pathways.domain import portfolio as rules
from pathwise_shared.problems import Problem


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A real, minimal PNG (one grey pixel by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def test_a_png_is_sniffed_as_png() -> None:
    assert rules.sniff(png_bytes(), "image") == "image/png"


@pytest.mark.parametrize(
    ("head", "kind", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "document", "application/pdf"),
        (b"GIF89a\x01\x00\x01\x00", "image", "image/gif"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image", "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio", "audio/wav"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video", "video/mp4"),
    ],
)
def test_accepted_types_by_their_magic_numbers(head: bytes, kind: str, expected: str) -> None:
    assert rules.sniff(head, kind) == expected


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (HTML, "image"),  # an "image.png" that is really a page with a script
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image"),
        (b"just some words", "document"),
        (b"", "image"),
        (png_bytes(), "document"),  # a real PNG, but not a document
        (b"%PDF-1.7\n", "image"),
    ],
)
def test_anything_else_is_415(head: bytes, kind: str) -> None:
    with pytest.raises(rules.UnsupportedFileType) as refused:
        rules.sniff(head, kind)
    assert refused.value.status_code == 415
    assert refused.value.type.endswith("/unsupported-file-type")


def test_size_limits_per_kind() -> None:
    limits = {"image": 100, "audio": 1000, "video": 10_000, "document": 50}
    rules.check_size(100, "image", limits)
    with pytest.raises(rules.FileTooLarge) as too_big:
        rules.check_size(101, "image", limits)
    assert too_big.value.status_code == 413
    rules.check_size(101, "audio", limits)
    with pytest.raises(Problem) as empty:
        rules.check_size(0, "document", limits)
    assert empty.value.status_code == 422


@pytest.mark.parametrize(
    ("kind", "body", "url", "has_file", "field"),
    [
        ("text", None, None, False, "body"),
        ("text", "  ", None, False, "body"),
        ("link", None, None, False, "url"),
        ("link", None, "javascript:alert(1)", False, "url"),
        ("link", None, "data:text/html,<script>", False, "url"),
        ("link", None, "file:///etc/passwd", False, "url"),
        ("link", None, "https://", False, "url"),
        ("image", None, None, False, "file"),
        ("text", "words", None, True, "file"),
        ("text", "words", "https://example.org", False, "url"),
    ],
)
def test_content_per_kind_is_checked(
    kind: str, body: str | None, url: str | None, has_file: bool, field: str
) -> None:
    with pytest.raises(Problem) as refused:
        rules.check_content(kind, body=body, url=url, has_file=has_file)
    assert refused.value.status_code == 422
    assert refused.value.extensions["field"] == field


def test_content_that_fits_its_kind() -> None:
    assert rules.check_content("text", body=" hi ", url=None, has_file=False).body == "hi"
    link = rules.check_content("link", body=None, url="HTTPS://example.org/x", has_file=False)
    assert link.url == "HTTPS://example.org/x"
    assert rules.check_content("image", body="caption", url=None, has_file=True).body == "caption"


def test_guardians_see_what_is_shared_within_policy() -> None:
    assert rules.guardian_may_see(True, "allowed")
    assert not rules.guardian_may_see(False, "allowed")
    assert not rules.guardian_may_see(True, "never")


def test_storage_keys_are_random_and_never_the_clients_name() -> None:
    keys = {rules.new_storage_key("l1") for _ in range(100)}
    assert len(keys) == 100
    assert all(k.startswith("portfolio/l1/") and len(k.rsplit("/", 1)[1]) == 32 for k in keys)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\photo.png", "photo.png"),
        ('a"b;c\r\nd.png', "a_b_c_d.png"),
        ("", "artifact"),
        (None, "artifact"),
        ("...", "artifact"),
        ("x" * 300 + ".png", "x" * 116 + ".png"),
    ],
)
def test_safe_filename(given: str | None, expected: str) -> None:
    assert rules.safe_filename(given) == expected


def test_content_disposition_is_an_attachment_with_an_rfc5987_name() -> None:
    header = rules.content_disposition("Größe – été 日本.png")
    assert header.startswith("attachment; ")
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".png")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert " " not in encoded and ";" not in encoded
    assert unquote(encoded) == "Größe – été 日本.png"
    # A quote or a line break in a name cannot end the header or add a parameter.
    sneaky = rules.content_disposition('x"; filename="evil.html\r\nSet-Cookie: a=b')
    assert "\r" not in sneaky and "\n" not in sneaky and sneaky.count('"') == 2
