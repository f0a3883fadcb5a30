"""Image bytes in the many shapes datasets store them, decoded only when a model needs pixels."""

from __future__ import annotations

import base64
import binascii
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image as PILImage


class MediaError(ValueError):
    """A media field that cannot be turned into bytes; becomes a per-item error."""


def media_bytes(value: Any, base_dir: str | os.PathLike[str] | None = None) -> bytes:
    """Return the encoded bytes behind a dataset media field.

    Accepts what the ``datasets`` library and the real benchmark schemas use: a
    ``{"bytes": ..., "path": ...}`` dict (``Image(decode=False)``), raw bytes, a PIL image,
    a base64 string (CC-OCR), or a file path relative to ``base_dir``.
    """
    if value is None:
        raise MediaError("media field is empty")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes(value["bytes"])
        if value.get("path"):
            return _read_path(value["path"], base_dir)
        raise MediaError("media dict has neither 'bytes' nor 'path'")
    if hasattr(value, "save") and hasattr(value, "mode"):  # a decoded PIL image
        buf = io.BytesIO()
        value.save(buf, format="PNG")
        return buf.getvalue()
    if isinstance(value, str):
        candidate = Path(base_dir, value) if base_dir else Path(value)
        if len(value) < 1024 and candidate.is_file():
            return candidate.read_bytes()
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MediaError(f"media string is neither a file path nor base64: {value[:40]!r}"
                             ) from exc
    raise MediaError(f"unsupported media value of type {type(value).__name__}")


def _read_path(path: str, base_dir: str | os.PathLike[str] | None) -> bytes:
    p = Path(path)
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.is_file():
        raise MediaError(f"media file not found: {p}")
    return p.read_bytes()


def decode_image(data: bytes) -> PILImage.Image:
    """Decode to RGB; a corrupt image raises :class:`MediaError`."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise MediaError(f"cannot decode image: {exc}") from exc
    return img.convert("RGB")


def thumbnail_jpeg(data: bytes, max_side: int = 160, quality: int = 70) -> bytes:
    """A small JPEG for the report's item browser."""
    img = decode_image(data)
    img.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
