"""Drawing helpers for the bundled synthetic data sets: text rendered into images, tiny videos.

Deterministic for a given seed. Fonts come from the system (Noto for CJK and other
scripts, DejaVu otherwise); regenerate with ``apt-get install fonts-noto-core
fonts-noto-cjk`` present to get real glyphs rather than boxes.
"""

from __future__ import annotations

import io
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = [Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"),
              Path("/usr/share/fonts/truetype/dejavu")]
_SCRIPT_FONTS = {
    "CJK": ["NotoSansCJK-Regular.ttc"],
    "HANGUL": ["NotoSansCJK-Regular.ttc"],
    "HIRAGANA": ["NotoSansCJK-Regular.ttc"],
    "KATAKANA": ["NotoSansCJK-Regular.ttc"],
    "ARABIC": ["NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf"],
    "DEVANAGARI": ["NotoSansDevanagari-Regular.ttf"],
    "BENGALI": ["NotoSansBengali-Regular.ttf"],
    "TAMIL": ["NotoSansTamil-Regular.ttf"],
    "SINHALA": ["NotoSansSinhala-Regular.ttf"],
    "THAI": ["NotoSansThai-Regular.ttf"],
}
_DEFAULT_FONTS = ["NotoSans-Regular.ttf", "DejaVuSans.ttf"]


def _script_of(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            for key in _SCRIPT_FONTS:
                if name.startswith(key):
                    return key
    return ""


@cache
def font(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = _SCRIPT_FONTS.get(_script_of(text), []) + _DEFAULT_FONTS
    for name in names:
        for d in _FONT_DIRS:
            if (d / name).is_file():
                return ImageFont.truetype(str(d / name), size)
    return ImageFont.load_default(size)


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def text_image(lines: list[str], seed: int, width: int = 224, size: int = 22,
               background: tuple[int, int, int] | None = None) -> bytes:
    """Render ``lines`` on a plain or noisy background; returns PNG bytes."""
    rng = np.random.default_rng(seed)
    height = 24 + len(lines) * (size + 10)
    bg = background or tuple(int(x) for x in rng.integers(170, 255, 3))
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    for _ in range(6):  # a few distractor shapes
        x0, y0 = int(rng.integers(0, width - 10)), int(rng.integers(0, height - 10))
        colour = tuple(int(c) for c in rng.integers(120, 230, 3))
        draw.rectangle([x0, y0, x0 + int(rng.integers(5, 30)), y0 + int(rng.integers(5, 20))],
                       outline=colour)
    y = 12
    for line in lines:
        draw.text((10, y), line, fill=(20, 20, 30), font=font(line, size))
        y += size + 10
    return png(img)


def scene_image(seed: int, width: int = 96, height: int = 72) -> bytes:
    """A small abstract 'photo': gradient sky, ground, and a few coloured objects."""
    rng = np.random.default_rng(seed)
    arr = np.zeros((height, width, 3), np.uint8)
    top, bottom = rng.integers(60, 255, 3), rng.integers(0, 200, 3)
    for y in range(height):
        t = y / max(1, height - 1)
        arr[y] = (top * (1 - t) + bottom * t).astype(np.uint8)
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 5))):
        x, y = int(rng.integers(0, width - 16)), int(rng.integers(height // 3, height - 12))
        w, h = int(rng.integers(8, 28)), int(rng.integers(8, 24))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h],
                                                                  fill=colour)
    return png(img)


def moving_bar_frames(seed: int, n: int = 16, width: int = 64, height: int = 48) -> np.ndarray:
    """(n, H, W, 3) frames of a coloured bar sweeping across a tinted background."""
    rng = np.random.default_rng(seed)
    bg = rng.integers(0, 120, 3).astype(np.uint8)
    fg = rng.integers(130, 255, 3).astype(np.uint8)
    frames = np.empty((n, height, width, 3), np.uint8)
    frames[:] = bg
    speed = int(rng.integers(2, 6))
    for i in range(n):
        x = (i * speed) % (width - 8)
        frames[i, :, x:x + 8] = fg
    return frames
