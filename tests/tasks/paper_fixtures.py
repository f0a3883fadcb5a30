"""Shared loading for the differential fixtures of the TowerVision authors' code.

``tests/fixtures/paper/*.json`` hold inputs we wrote and what the authors' own functions
returned for them (README.md there says how they were made). Outputs are stored as
``{"value": ...}`` or ``{"error": "<Type>: <message>"}``.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "paper"


@cache
def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text("utf-8"))


@cache
def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def raised(outcome: dict[str, Any]) -> bool:
    """True when the authors' function raised for this input."""
    return "error" in outcome
