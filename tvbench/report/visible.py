"""Untrusted text made visible: control and bidi characters become symbols, never raw bytes.

Model outputs and dataset strings can hold NUL, ESC, other C0/C1 controls and bidirectional
overrides. Raw, they vanish on a page, garble a terminal or reorder what a reader sees (an
RLO makes "1 01" read as "10 1"), so a report could show something other than what the
model said. Every renderer passes untrusted text through :func:`visible`: C0 controls become
their Unicode control pictures (NUL → ␀, ESC → ␛), DEL becomes ␡, and C1 controls, bidi
controls, zero-width and other invisible formatting characters, and lone surrogates (which
JSON can carry but UTF-8 cannot encode) become a bracketed name such as ``⟨RLO⟩`` or
``⟨U+200B⟩``. Newline and tab stay: they are layout, not hidden content.
"""

from __future__ import annotations

from functools import cache

#: Bidirectional formatting characters by their Unicode abbreviations.
BIDI = {0x061C: "ALM", 0x200E: "LRM", 0x200F: "RLM", 0x202A: "LRE", 0x202B: "RLE",
        0x202C: "PDF", 0x202D: "LRO", 0x202E: "RLO", 0x2066: "LRI", 0x2067: "RLI",
        0x2068: "FSI", 0x2069: "PDI"}
_KEPT = {0x09, 0x0A}  # tab and newline
#: Invisible formatting characters that would hide or join text: zero-width space and
#: joiners, word joiner and invisible operators, the byte-order mark.
INVISIBLE = (*range(0x200B, 0x200E), *range(0x2060, 0x2065), 0xFEFF)


@cache
def _table() -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20) if c not in _KEPT}
    table[0x7F] = "\u2421"  # ␡
    table.update({c: f"⟨U+{c:04X}⟩" for c in range(0x80, 0xA0)})
    table.update({c: f"⟨{name}⟩" for c, name in BIDI.items()})
    table.update({c: f"⟨U+{c:04X}⟩" for c in INVISIBLE})
    table.update({c: f"⟨U+{c:04X}⟩" for c in range(0xD800, 0xE000)})
    return table


def visible(text: str) -> str:
    """``text`` with every control, bidi and surrogate code point replaced by a visible mark."""
    return text.translate(_table())

