"""The OpenAI chat-completions wire format: request bodies, data URLs, replies, retry policy.

Pure functions, separate from the adapter's threads and sockets, so the exact bytes a
server receives can be tested without one.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput, TextPart, VideoPart

if TYPE_CHECKING:
    import numpy as np

#: The OpenAI API accepts at most four stop strings; the rest are applied client-side.
MAX_STOP = 4
#: Frames sent per video, as images (the HF "frames" mode uses the same cap).
MAX_VIDEO_FRAMES = 8
#: Longest wait a server's Retry-After may impose before one retry.
RETRY_AFTER_CAP = 300.0
#: Formats every OpenAI-compatible server takes as data URLs; others are re-encoded as PNG.
_SNIFF = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


# --------------------------------------------------------------------------- request building
def image_mime(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG, GIF or WebP bytes (from their magic numbers), else None."""
    for magic, mime in _SNIFF:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _png(img: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def image_data_url(data: bytes) -> str:
    """A ``data:`` URL for an image; formats servers may reject (BMP, TIFF, ...) become PNG.

    Raises :class:`tvbench.data.media.MediaError` for bytes that are no image at all.
    """
    mime = image_mime(data)
    if mime is None:
        from tvbench.data.media import decode_image

        data, mime = _png(decode_image(data)), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def frame_data_url(frame: np.ndarray) -> str:
    from PIL import Image

    return image_data_url(_png(Image.fromarray(frame)))


def chat_messages(inp: ModelInput, max_frames: int = MAX_VIDEO_FRAMES) -> list[dict[str, Any]]:
    """OpenAI chat messages: text-only turns as strings, turns with media as content parts.

    A video becomes ``min(max_frames, its num_frames)`` uniformly sampled frames, in place.
    """
    out: list[dict[str, Any]] = []
    for m in inp.messages:
        if all(isinstance(p, TextPart) for p in m.content):
            out.append({"role": m.role, "content": m.text})
            continue
        parts: list[dict[str, Any]] = []
        for p in m.content:
            if isinstance(p, TextPart):
                if p.text:
                    parts.append({"type": "text", "text": p.text})
            elif isinstance(p, ImagePart):
                parts.append({"type": "image_url", "image_url": {"url": image_data_url(p.data)}})
            elif isinstance(p, VideoPart):
                for frame in p.frames(min(max_frames, p.num_frames)):
                    parts.append({"type": "image_url", "image_url": {"url": frame_data_url(frame)}})
        out.append({"role": m.role, "content": parts})
    return out


def request_body(model: str, inp: ModelInput, settings: GenerationSettings,
                 max_frames: int = MAX_VIDEO_FRAMES) -> dict[str, Any]:
    """The JSON body of one chat completion request."""
    body: dict[str, Any] = {
        "model": model, "messages": chat_messages(inp, max_frames),
        "max_tokens": settings.max_new_tokens,
        "temperature": 0.0 if settings.greedy else settings.temperature,
    }
    stops = [s for s in settings.stop if s][:MAX_STOP]
    if stops:
        body["stop"] = stops
    return body


def reply_text(data: Any) -> tuple[str, int]:
    """(text, completion tokens) from a chat completion response; ValueError if malformed."""
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("malformed response, no choices[0].message: "
                         + json.dumps(data, ensure_ascii=False)[:200]) from None
    content = message.get("content") if isinstance(message, dict) else None
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    elif isinstance(content, list):  # some servers answer with content parts
        text = "".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    else:
        raise ValueError(f"malformed response: content is {type(content).__name__}")
    usage = data.get("usage") if isinstance(data, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return text, tokens if isinstance(tokens, int) else 0


def served_by(data: Any, limit: int = 200) -> tuple[str | None, str | None]:
    """(model, system_fingerprint) as the server reports them in a reply, cut to ``limit``
    characters (they are the server's words, kept in results.json); None when absent."""
    if not isinstance(data, dict):
        return None, None
    model, fingerprint = data.get("model"), data.get("system_fingerprint")
    return (model[:limit] if isinstance(model, str) else None,
            fingerprint[:limit] if isinstance(fingerprint, str) else None)


# --------------------------------------------------------------------------- retry policy
def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None,
                  rng: random.Random) -> float:
    """Wait before retry number ``attempt`` (0-based): the server's Retry-After when given
    (capped), else ``min(cap, base * 2**attempt)`` scaled by a jitter factor in [0.5, 1]."""
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_CAP)
    return min(cap, base * 2 ** attempt) * (0.5 + rng.random() / 2)


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


# --------------------------------------------------------------------------- identity
def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: what may be written into results."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
