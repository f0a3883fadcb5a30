"""The single-file HTML leaderboard, rendered by Jinja2 with autoescaping on.

Everything a reader needs travels inside the one file: CSS, JavaScript, SVG charts and
thumbnails as ``data:`` URIs, so it can be attached to a CI run or mailed and still work
offline. Model outputs, prompts, answers and even model and language names are untrusted:
they only ever reach the page through autoescaped template expressions (never ``|safe``,
never ``Markup``), no URL is built from them, and no JSON is embedded for the script, which
reads the escaped DOM instead. Every expression's text also passes through
:func:`~tvbench.report.visible.visible` (the environment's ``finalize``), so a NUL, an ESC or
a bidi override in a model output shows as a symbol wherever it lands: cell, tooltip or
title. As a second line of defence, a Content-Security-Policy allows only the page's own
script and stylesheet (by SHA-256 hash), ``data:`` images and nothing from the network, so
even a rendering bug could not run injected code or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2
import markupsafe

from tvbench.cache import cache_root
from tvbench.report import item_browser, svg
from tvbench.report.load import Run
from tvbench.report.tables import Board, ci_text, errors_text, extra_mixing, score_text, tooltip
from tvbench.report.visible import visible

TEMPLATE = "leaderboard.html.j2"
SCRIPT = "leaderboard.js.j2"
STYLE = "leaderboard.css.j2"


def _shown(value: Any) -> Any:
    """Every expression's value on its way out: untrusted strings made visible.

    Markup is the output of the templates' own macros, whose expressions were finalized and
    escaped already; it passes unchanged (translating it would turn it back into a str that
    autoescaping would escape a second time).
    """
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value)
    return value


@cache
def environment() -> jinja2.Environment:
    """The report's Jinja2 environment: autoescape always on, undefined names are errors,
    control and bidi characters made visible."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tvbench.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, finalize=_shown, bytecode_cache=_compiled_templates())
    env.globals.update(score_text=score_text, ci_text=ci_text, tooltip=tooltip,
                       extra_mixing=extra_mixing, errors_text=errors_text)
    return env


def _compiled_templates() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs under the tvbench cache (compiling them was a
    tenth of a resume); Jinja2 keys them by the template's source, so an edit recompiles.
    None where that folder cannot be written: the report then compiles them each time."""
    folder = cache_root() / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


def csp_hash(source: str) -> str:
    """The CSP source expression that allows exactly this inline script or style."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _options(values: Sequence[str]) -> list[str]:
    return sorted({v for v in values if v})


def comparability(board: Board) -> list[dict[str, Any]]:
    """The one collapsible explanation of the page's setup letters: per task that mixes
    setups, its setups and what differs, language rows that mix setups the columns' letters
    do not explain, and headlines averaged over other language sets than a paper row (≠L)."""
    out = []
    for view in board.tasks:
        rows = [(lang, view.lang_cmp[lang.code].warnings()) for lang in view.languages
                if extra_mixing(view, lang.code)]
        if view.headline_cmp.mixed or rows or view.langset_warnings:
            out.append({"view": view, "rows": rows})
    return out


def context(board: Board, runs: Sequence[Run], per_language: int) -> dict[str, Any]:
    """Everything the template shows; charts and browsed items are computed here, once."""
    reported = {r.label for r in board.runs if r.reported}
    tasks = []
    n_images = 0
    for view in board.tasks:
        items = item_browser.browse(view, runs, per_language=per_language)
        n_images += sum(1 for it in items if it.image)
        tasks.append({"view": view, "bars": svg.bar_chart(view, reported),
                      "heat": svg.heatmap(view, reported), "browsed": items})
    langs = board.languages
    return {
        "board": board, "tasks": tasks, "reported": reported, "n_images": n_images,
        "comparability": comparability(board),
        "per_language": per_language,
        "filters": {"resource": _options([lang.resource for lang in langs]),
                    "script": _options([lang.script for lang in langs]),
                    "family": _options([lang.family for lang in langs])},
        "ramp": [(v, svg.colour(v)) for v in (0, 25, 50, 75, 100)],
    }


def render_html(board: Board, runs: Sequence[Run],
                per_language: int = item_browser.PER_LANGUAGE) -> str:
    """The complete, self-contained HTML document."""
    env = environment()
    script = env.get_template(SCRIPT).render()
    style = env.get_template(STYLE).render()
    csp = (f"default-src 'none'; img-src data:; style-src {csp_hash(style)}; "
           f"script-src {csp_hash(script)}; base-uri 'none'; form-action 'none'")
    return env.get_template(TEMPLATE).render(csp=csp, **context(board, runs, per_language))
