"""The HTML file without a browser: escaping, self-containment, the CSP, the size."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from tvbench.report.html import environment, render_html
from tvbench.report.load import load_runs
from tvbench.report.tables import build_board

from .synthetic import record, task_block, write_run

PAYLOAD = "<script>window.__xss=1</script>"


def _html(*roots: Path) -> str:
    loaded = load_runs(list(roots))
    return render_html(build_board(loaded), loaded.runs)


def test_compiled_templates_are_kept_in_the_cache_and_a_cache_that_cannot_be_written_is_skipped(
        tmp_path: Path, monkeypatch) -> None:
    write_run(tmp_path / "runs", "m", "org/m", {"t": task_block("t", {"en": 5.0}, "org/m")})
    try:
        monkeypatch.setenv("TVBENCH_CACHE", str(tmp_path / "cache"))
        environment.cache_clear()
        first = _html(tmp_path / "runs" / "m")
        compiled = sorted((tmp_path / "cache" / "jinja").iterdir())
        assert compiled and all(p.name.endswith(".cache") for p in compiled)
        environment.cache_clear()  # a new run: templates come from the cache
        assert _html(tmp_path / "runs" / "m") == first
        (tmp_path / "blocked").write_text("a file where the cache folder would go")
        monkeypatch.setenv("TVBENCH_CACHE", str(tmp_path / "blocked"))
        environment.cache_clear()
        assert environment().bytecode_cache is None
        assert _html(tmp_path / "runs" / "m") == first
    finally:
        environment.cache_clear()


def test_autoescape_is_on_for_the_report_templates() -> None:
    env = environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x=PAYLOAD) == (
        "&lt;script&gt;window.__xss=1&lt;/script&gt;")


def test_untrusted_text_is_escaped_in_the_markup(tmp_path: Path) -> None:
    write_run(tmp_path, "m", PAYLOAD, {"t": task_block("t", {"en": 5.0}, "org/m")},
              records={"t": [record("1", "en", output=PAYLOAD, answer='"><img src=x>',
                                    prompt=PAYLOAD)]})
    page = _html(tmp_path)
    assert PAYLOAD not in page and "<img src=x>" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1  # only our own script element


def test_self_contained_with_a_strict_content_security_policy(multilang_runs: Path) -> None:
    page = _html(multilang_runs)
    # no external resource: every src is a data: URI, every href an in-page anchor (if any)
    for attr, value in re.findall(r'\s(src|href)="([^"]*)"', page):
        assert value.startswith("data:image/jpeg;base64,") if attr == "src" else \
            value.startswith("#"), (attr, value[:40])
    assert "<link" not in page and "@import" not in page and "url(" not in page
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert "default-src 'none'" in csp and "img-src data:" in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    for src, kind in ((script, "script-src"), (style, "style-src")):
        digest = base64.b64encode(hashlib.sha256(src.encode()).digest()).decode()
        assert f"{kind} 'sha256-{digest}'" in csp  # the inline code is exactly what is allowed
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert ' style="' not in page  # a style attribute would be blocked by the CSP


def test_size_stays_small(multilang_runs: Path) -> None:
    page = _html(multilang_runs)
    # 2 runs × 4 languages, 8 images: well under 200 kB
    assert len(page.encode()) < 200_000
    assert page.count("data:image/jpeg;base64,") == 8


#: Control characters a model or a dataset can produce, and how the report must show them.
HIDDEN = {"\x00": "␀", "\x1b": "␛", "\x07": "␇", "\x7f": "␡", "\x85": "⟨U+0085⟩",
          "\u202e": "⟨RLO⟩", "\u2066": "⟨LRI⟩", "\u2069": "⟨PDI⟩", "\u200f": "⟨RLM⟩",
          "\ud800": "⟨U+D800⟩"}
SAMPLE = "a\x00b \x1b[31mred\x07 c1\x85 \u202egnp.exe \u2066x\u2069\u200f del\x7f lone\ud800"
#: results.json is written as UTF-8 text, which cannot hold a lone surrogate.
NAMED = SAMPLE.replace("\ud800", "")


def hidden_run(root: Path) -> Path:
    """A run whose model name, note, prompt, output, extracted answer, reference and error
    all carry control, bidi and surrogate characters (record lines as JSON escapes, the
    way a real records file holds a lone surrogate)."""
    import json

    block = task_block("t", {"en": 5.0}, "org/m")
    block["notes"] = [f"judge said {NAMED}"]
    folder = write_run(root, "m", f"model {NAMED}", {"t": block})
    rec = record("1", "en", output=SAMPLE, answer=SAMPLE, prompt=SAMPLE, error=SAMPLE,
                 target=[SAMPLE, "ok"])
    (folder / "records").mkdir(exist_ok=True)
    (folder / "records" / "t.jsonl").write_text(json.dumps(rec) + "\n", "ascii")
    return folder


def test_control_characters_are_shown_as_symbols_never_embedded(tmp_path: Path) -> None:
    hidden_run(tmp_path)
    page = _html(tmp_path)
    page.encode("utf-8")  # a lone surrogate would make the page unwritable
    for raw, shown in HIDDEN.items():
        assert raw not in page, repr(raw)
        assert shown in page, shown
    titles = re.findall(r'title="([^"]*)"', page)
    assert any("model a␀b ␛[31mred␇" in t for t in titles)  # tooltips too
    assert page.count("⟨RLO⟩gnp.exe") >= 6  # name, note, prompt, output, extracted, reference


def test_markdown_shows_control_characters_too(tmp_path: Path) -> None:
    from tvbench.report.markdown import render_markdown

    hidden_run(tmp_path)
    doc = render_markdown(build_board(load_runs([tmp_path])))
    for raw in HIDDEN:
        assert raw not in doc, repr(raw)
    assert "model a␀b ␛\\[31mred␇ c1⟨U+0085⟩ ⟨RLO⟩gnp.exe" in doc
