"""Render rich output as an 80-column terminal would show it, and check no word was cut."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from rich.console import Console

WIDTH = 80


def console(width: int = WIDTH) -> Console:
    """A plain-text console of ``width`` columns writing into a buffer (``.file``)."""
    return Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None,
                   highlight=False, soft_wrap=False)


def render(*renderables: Any, width: int = WIDTH) -> str:
    out = console(width)
    for r in renderables:
        out.print(r)
    return out.file.getvalue()  # type: ignore[attr-defined]


def words(*texts: str) -> set[str]:
    """The whitespace-separated words of ``texts``: what must reach the screen whole."""
    return {w for t in texts for w in t.split()}


def assert_fits(text: str, expected: Iterable[str], width: int = WIDTH) -> None:
    """No line is wider than ``width`` and every expected word sits whole on one line (a
    word wrapped mid-way, or cut to "…", is on no line in one piece)."""
    lines = text.splitlines()
    wide = [line for line in lines if len(line.rstrip()) > width]
    assert not wide, f"lines over {width} columns: {wide}"
    missing = sorted(w for w in expected if not any(w in line for line in lines))
    assert not missing, f"cut or missing words: {missing}\n{text}"
