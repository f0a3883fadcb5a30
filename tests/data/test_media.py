"""Media fields in every shape the real schemas use; corrupt media is an error, not a crash."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tvbench.data.media import MediaError, decode_image, media_bytes, thumbnail_jpeg


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_every_supported_shape(tmp_path) -> None:
    data = _png()
    (tmp_path / "a.png").write_bytes(data)
    assert media_bytes(data) == data
    assert media_bytes({"bytes": data, "path": None}) == data  # datasets Image(decode=False)
    assert media_bytes({"bytes": None, "path": "a.png"}, tmp_path) == data
    assert media_bytes("a.png", tmp_path) == data
    assert media_bytes(base64.b64encode(data).decode()) == data  # CC-OCR stores base64
    assert decode_image(media_bytes(Image.open(io.BytesIO(data)))).size == (20, 10)


@pytest.mark.parametrize("value,message", [
    (None, "empty"),
    ({"bytes": None, "path": None}, "neither"),
    ({"path": "missing.png"}, "not found"),
    ("not base64 and not a file!", "neither a file path nor base64"),
    (3.5, "unsupported"),
])
def test_bad_media_values_raise_media_error(value, message, tmp_path) -> None:
    with pytest.raises(MediaError, match=message):
        media_bytes(value, tmp_path)


def test_corrupt_images_and_thumbnails() -> None:
    with pytest.raises(MediaError, match="cannot decode image"):
        decode_image(b"\x89PNG but not really")
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(_png(), max_side=8)))
    assert thumb.format == "JPEG" and max(thumb.size) <= 8
