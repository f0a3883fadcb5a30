"""The OpenAI wire format as pure functions: request bodies, data URLs, retry policy."""

from __future__ import annotations

import base64
import io
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.models.openai_wire import (
    backoff_delay,
    image_data_url,
    image_mime,
    parse_retry_after,
    public_url,
    request_body,
    served_by,
)


def _image(fmt: str, color: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (6, 4), color).save(buf, format=fmt)
    return buf.getvalue()


def test_sampling_temperature_is_sent() -> None:
    body = request_body("m", ModelInput.user("hi"), GenerationSettings(8, temperature=0.7))
    assert body["temperature"] == 0.7
    assert "stop" not in body


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                           ("GIF", "image/gif"), ("WEBP", "image/webp"),
                                           ("BMP", None), ("TIFF", None)])
def test_image_mime_from_magic_bytes(fmt: str, mime: str | None) -> None:
    assert image_mime(_image(fmt)) == mime


def test_unsupported_image_formats_are_sent_as_png() -> None:
    from PIL import Image

    url = image_data_url(_image("BMP", (10, 20, 30)))
    assert url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.format == "PNG" and img.size == (6, 4)
    assert img.convert("RGB").getpixel((0, 0)) == (10, 20, 30)


def test_backoff_delay_schedule() -> None:
    rng = random.Random(0)
    for attempt in range(8):
        d = backoff_delay(attempt, base=1.0, cap=20.0, retry_after=None, rng=rng)
        full = min(20.0, 2.0 ** attempt)
        assert full / 2 <= d <= full
    assert backoff_delay(3, base=1.0, cap=20.0, retry_after=2.5, rng=rng) == 2.5
    assert backoff_delay(0, base=1.0, cap=20.0, retry_after=10_000, rng=rng) == 300.0


def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "0"}) == 0.0
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "7"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": later}) or 0) <= 31


def test_public_url_drops_credentials() -> None:
    assert public_url("https://user:pw@api.example.com:8443/v1/?api-key=s#x") == \
        "https://api.example.com:8443/v1"
    assert public_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


@pytest.mark.parametrize("reply,expected", [
    ({"model": "gpt-x-2026-01-01", "system_fingerprint": "fp_1"}, ("gpt-x-2026-01-01", "fp_1")),
    ({"model": "m"}, ("m", None)),
    ({"model": 7, "system_fingerprint": ["fp"]}, (None, None)),  # not strings: not kept
    ([], (None, None)),
    ({"model": "m" * 5000, "system_fingerprint": "f" * 5000}, ("m" * 200, "f" * 200)),
])
def test_what_the_server_says_answered(reply: object, expected: tuple) -> None:
    assert served_by(reply) == expected
