"""Chart geometry for the HTML report: a per-language heatmap and headline bar charts.

Only numbers and colours are computed here; the template turns them into inline SVG. Keeping
every piece of text (model names, tooltips) in the Jinja2 template means autoescaping covers
it, so no string of SVG markup built in Python ever has to be trusted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tvbench.report.tables import Cell, Language, TaskView, tooltip

#: A colour-blind-safe sequential ramp (viridis stops) from score 0 to 100.
_RAMP = ((0.0, (0x44, 0x01, 0x54)), (25.0, (0x3B, 0x52, 0x8B)), (50.0, (0x21, 0x91, 0x8C)),
         (75.0, (0x5E, 0xC9, 0x62)), (100.0, (0xFD, 0xE7, 0x25)))
_MISSING = "#e5e7eb"
_CELL_W, _CELL_H = 30, 22
_TOP = 64  # room for rotated language codes
_CHAR_W = 6.6  # average glyph width at 11px, to size label gutters


def colour(score: float | None) -> str:
    """Hex colour of a 0–100 score on the ramp; grey when there is no score."""
    if score is None:
        return _MISSING
    x = min(100.0, max(0.0, score))
    for (x0, c0), (x1, c1) in zip(_RAMP, _RAMP[1:], strict=False):
        if x <= x1:
            t = (x - x0) / (x1 - x0)
            return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(c0, c1,
                                                                                  strict=True))
    return "#fde725"


def text_colour(score: float | None) -> str:
    return "#111827" if score is None or score >= 60 else "#ffffff"


def shorten(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def seen_group(cell: Cell | None) -> str:
    if cell is None or cell.unseen is None:
        return "unknown"
    return "unseen" if cell.unseen else "seen"


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    fill: str
    text: str
    text_colour: str
    tooltip: str
    seen: str
    reported: bool
    present: bool


@dataclass(frozen=True)
class HeatColumn:
    language: Language
    x: float
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatRow:
    label: str
    short: str
    y: float
    reported: bool


@dataclass(frozen=True)
class Heatmap:
    width: float
    height: float
    gutter: float
    cell_w: float
    cell_h: float
    top: float
    rows: tuple[HeatRow, ...]
    columns: tuple[HeatColumn, ...]


def heatmap(view: TaskView, reported: Collection[str]) -> Heatmap:
    """Models as rows, languages as columns; every cell has a tooltip with n and the CI."""
    labels = view.runs
    gutter = min(240.0, 16 + _CHAR_W * max((len(shorten(lb)) for lb in labels), default=4))
    rows = tuple(HeatRow(lb, shorten(lb), _TOP + i * _CELL_H, lb in reported)
                 for i, lb in enumerate(labels))
    columns = []
    for j, lang in enumerate(view.languages):
        x = gutter + j * _CELL_W
        cells = []
        for row in rows:
            cell = view.cells[lang.code].get(row.label)
            score = cell.score if cell is not None else None
            mark = "*" if cell is not None and cell.unseen else ""
            cells.append(HeatCell(
                x=x, y=row.y, fill=colour(score),
                text=("" if cell is None else f"{score:.0f}{mark}" if score is not None
                      else "n/s"),
                text_colour=text_colour(score),
                tooltip=tooltip(row.label, f"{lang.code} ({lang.name})", cell),
                seen=seen_group(cell), reported=row.label in reported,
                present=cell is not None))
        columns.append(HeatColumn(lang, x, tuple(cells)))
    width = gutter + _CELL_W * max(1, len(columns)) + 8
    height = _TOP + _CELL_H * max(1, len(rows)) + 8
    return Heatmap(width, height, gutter, _CELL_W, _CELL_H, _TOP, rows, tuple(columns))


@dataclass(frozen=True)
class Bar:
    label: str
    short: str
    y: float
    width: float
    ci: tuple[float, float] | None
    value: str
    tooltip: str
    reported: bool
    letter: str


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    gutter: float
    plot_w: float
    bar_h: float
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]


def bar_chart(view: TaskView, reported: Collection[str], plot_w: float = 420.0) -> BarChart:
    """Headline score per model with its 95% CI as a whisker (reported bars drawn hollow)."""
    labels = view.runs
    gutter = min(240.0, 16 + _CHAR_W * max((len(shorten(lb)) for lb in labels), default=4))
    top = max([100.0] + [c.ci[1] for c in view.headline.values() if c.ci is not None]
              + [c.score for c in view.headline.values() if c.score is not None])

    def sx(v: float) -> float:
        return gutter + plot_w * max(0.0, v) / top

    bar_h, step = 16.0, 22.0
    bars = []
    for i, lb in enumerate(labels):
        cell = view.headline[lb]
        y = 24 + i * step
        bars.append(Bar(
            label=lb, short=shorten(lb), y=y,
            width=(sx(cell.score) - gutter) if cell.score is not None else 0.0,
            ci=(sx(cell.ci[0]), sx(cell.ci[1])) if cell.ci is not None else None,
            value=(f"{cell.score:.1f}" if cell.score is not None else "n/s")
            + (f" ⚠{cell.letter}" if cell.letter else ""),
            tooltip=tooltip(lb, view.name, cell), reported=lb in reported,
            letter=cell.letter))
    ticks = tuple(Tick(sx(v), f"{v:g}") for v in (0, 25, 50, 75, 100) if v <= top)
    return BarChart(width=gutter + plot_w + 90, height=24 + step * max(1, len(labels)) + 8,
                    gutter=gutter, plot_w=plot_w, bar_h=bar_h, ticks=ticks, bars=tuple(bars))
