"""The "what flipped" page: which items count as flips, their order and net counts, and the
page in a real headless Chromium (self-contained, CSP-clean, hostile output shown as text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tvbench.report.compare import render_compare, task_flips, write_compare
from tvbench.report.load import read_run
from tvbench.report.visible import visible

from .synthetic import jpeg, record, task_block, write_run
from .test_browser import XSS, browser, opened  # noqa: F401  (browser is a fixture)

PAPER = Path(__file__).resolve().parents[2] / "reports/towervision-paper/towervision-2b"


def _pair(root: Path, base: list[dict], cand: list[dict], thumbs: dict | None = None) -> None:
    langs = sorted({r["lang"] for r in base})
    for name, recs in (("base", base), ("cand", cand)):
        block = task_block("mvqa", {lang: 50.0 for lang in langs}, f"org/{name}")
        write_run(root, name, name, {"mvqa": block}, records={"mvqa": recs},
                  thumbs=thumbs if name == "base" else None)


def test_flips_are_counted_per_language_and_sorted(tmp_path: Path) -> None:
    base = [record(f"{lang}{i}", lang, output=f"b{i}", score=float(i % 2))
            for lang in ("fr", "de") for i in range(6)]
    cand = [dict(r) for r in base]
    cand[0].update(score=1.0, output="fixed")           # fr0: 0 → 1, better
    cand[1].update(score=0.0, output="broken")          # fr1: 1 → 0, worse
    cand[3].update(score=None, output=None, error="CUDA OOM")  # fr3: 1 → error, worse
    cand[5].update(input_hash="other")                   # fr5: other inputs, not paired
    cand[7].update(score=0.0)                            # de1: worse
    _pair(tmp_path, base, cand)
    flips = task_flips("mvqa", read_run(tmp_path / "base"), read_run(tmp_path / "cand"))
    assert [lf.language.code for lf in flips.languages] == ["de", "fr"]
    de, fr = flips.languages
    assert (fr.worse, fr.better, fr.net, fr.n_shared) == (2, 1, -1, 5)
    assert (de.worse, de.better, de.net) == (1, 0, -1)
    assert [(f.item_id, f.worse) for f in fr.items] == [("fr1", True), ("fr3", True),
                                                         ("fr0", False)]
    oom = fr.items[1]
    assert oom.candidate.score == "error" and oom.candidate.error == "CUDA OOM"
    assert (oom.baseline.output, oom.baseline.score) == ("b3", "1")
    capped = task_flips("mvqa", read_run(tmp_path / "base"), read_run(tmp_path / "cand"),
                        per_language=1)
    assert len(capped.languages[1].items) == 1 and capped.languages[1].hidden == 2


def test_lower_is_better_flips_and_reported_runs(tmp_path: Path) -> None:
    base = [record(f"en{i}", "en", score=0.5) for i in range(3)]
    cand = [dict(base[0], score=0.2), dict(base[1], score=0.9), base[2]]
    _pair(tmp_path, base, cand)
    for name in ("base", "cand"):
        path = tmp_path / name / "results.json"
        doc = json.loads(path.read_text())
        doc["tasks"]["mvqa"]["higher_is_better"] = False
        path.write_text(json.dumps(doc))
    flips = task_flips("mvqa", read_run(tmp_path / "base"), read_run(tmp_path / "cand"))
    assert [(f.item_id, f.worse) for f in flips.languages[0].items] == [("en1", True),
                                                                        ("en0", False)]
    reported = task_flips("textvqa", read_run(PAPER), read_run(tmp_path / "cand"))
    assert reported.languages == () and "reported" in reported.note


def test_control_and_invisible_characters_become_visible() -> None:
    assert visible("a\x1b[31mb\x00\tc\nd\x7f") == "a␛[31mb␀\tc\nd␡"
    assert visible("abc\u202edef\u200b") == "abc⟨RLO⟩def⟨U+200B⟩"
    assert visible("Grüße, 你好") == "Grüße, 你好"


def test_report_compare_command_writes_the_page(cli, tmp_path: Path) -> None:
    base = [record(f"en{i}", "en", score=1.0) for i in range(3)]
    _pair(tmp_path, base, [dict(r, score=0.0) for r in base])
    code, out = cli("report", "--compare", str(tmp_path / "base"), str(tmp_path / "cand"),
                    "--out", "cmp")
    assert code == 0 and "wrote cmp/compare.html" in out
    html = Path("cmp/compare.html").read_text()
    assert "3 worse, 0 better" in html and "Content-Security-Policy" in html
    code, out = cli("report")
    assert code == 2 and "--compare BASE CANDIDATE" in out


def test_the_page_in_chromium_is_self_contained_and_escapes(browser: Any,  # noqa: F811
                                                            tmp_path: Path) -> None:
    a, b, c = XSS
    base = [record("de0", "de", output="richtig", score=1.0, prompt=f"Frage {b}"),
            record("de1", "de", output="falsch", score=0.0),
            record(f"x{c}", "sw", output="sawa", score=1.0, prompt="swali"),
            record("sw1", "sw", output="ok", score=1.0)]
    cand = [dict(base[0], output=a, score=0.0),
            dict(base[1], output="jetzt richtig", score=1.0),
            dict(base[2], output="\x1b[31mred\x1b[0m\u202e", score=0.0),
            dict(base[3])]
    _pair(tmp_path, base, cand, thumbs={("mvqa", "de0"): jpeg()})
    page = write_compare(tmp_path / "base", tmp_path / "cand", tmp_path / "out")
    with opened(browser, page) as p:
        assert p.page.evaluate("typeof window.__xss") == "undefined"
        assert p.page.evaluate("document.querySelectorAll('script,[onerror]').length") == 0
        rows = p.page.locator("table.net tbody tr")
        assert [r.split("\t") for r in rows.all_inner_texts()] == [
            ["de German", "2", "1", "1", "+0"], ["sw Swahili", "2", "1", "0", "-1"]]
        flips = p.page.locator("article.flip")
        assert flips.count() == 3
        first = flips.nth(0)
        assert first.locator(".tag").inner_text().lower() == "worse"
        assert first.locator(".candidate pre.output").inner_text() == a  # shown, not run
        assert b in first.locator("pre.prompt").inner_text()
        img = first.locator("img")
        assert img.evaluate("i => i.complete && i.naturalWidth") > 0
        sw = p.page.locator("details.lang[data-lang='sw'] article.flip")
        assert sw.locator(".candidate pre.output").inner_text() == "␛[31mred␛[0m⟨RLO⟩"
        assert sw.locator(".id").inner_text() == f"x{c}"
        assert p.page.locator("#candidate-name").inner_text().startswith("cand (")


def test_render_is_deterministic_and_has_no_script(tmp_path: Path) -> None:
    base = [record("en0", "en", score=1.0)]
    _pair(tmp_path, base, [dict(base[0], score=0.0)])
    runs = read_run(tmp_path / "base"), read_run(tmp_path / "cand")
    html = render_compare(*runs)
    assert html == render_compare(*runs)
    assert "script-src &#39;none&#39;" in html and "<script" not in html  # attribute-escaped


@pytest.mark.parametrize("missing", ["base", "cand"])
def test_a_task_in_one_run_only_is_listed(tmp_path: Path, missing: str) -> None:
    base = [record("en0", "en", score=1.0)]
    _pair(tmp_path, base, base)
    other = task_block("ocr", {"en": 1.0}, "org/x")
    write_run(tmp_path, missing, missing, {"mvqa": task_block("mvqa", {"en": 50.0}, "o"),
                                           "ocr": other}, records={"mvqa": base})
    html = render_compare(read_run(tmp_path / "base"), read_run(tmp_path / "cand"))
    assert "task ocr is in one run only" in html
