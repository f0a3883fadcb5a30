"""Reading the HTML report in real headless Chromium: what a reader sees of references,
control characters, unknown averages, comparability, and the first run's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tvbench.report.build import build_reports
from tvbench.report.reported import build_results, load_tables

from .synthetic import task_block, write_run
from .test_browser import ARGS, PAPER, chromium_path, opened
from .test_html import HIDDEN, hidden_run


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module, as in test_browser; None when missing, so each test
    fails through ``opened`` (never skips)."""
    if not Path(chromium_path()).is_file():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
        yield b
        b.close()


def _open_all(page: Any) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_items_show_output_extracted_reference_and_score(browser: Any,
                                                         multilang_runs: Path,
                                                         tmp_path: Path) -> None:
    html = build_reports([multilang_runs], tmp_path / "out", ("html",))[0][0]
    with opened(browser, html) as p:
        p.page.locator("section[data-task='mvqa'] details.browser > summary").click()
        table = p.page.locator("section[data-task='mvqa'] article.item table.outputs").first
        heads = [t.strip() for t in table.locator("thead th").all_inner_texts()]
        assert heads == ["model", "output", "extracted", "reference", "score"]
        alpha = [t.strip() for t in table.locator("tbody tr").first.locator("th, td")
                 .all_inner_texts()]
        assert alpha == ["alpha-3b", "out-en0", "ans-en0", "gold-en0", "0"]


def test_control_characters_read_as_symbols_in_the_page(browser: Any, tmp_path: Path) -> None:
    hidden_run(tmp_path / "runs")
    html = build_reports([tmp_path / "runs"], tmp_path / "out", ("html",))[0][0]
    with opened(browser, html) as p:
        _open_all(p.page)
        text = p.page.inner_text("body")
        titles = p.page.evaluate(
            "[...document.querySelectorAll('[title]')].map(e => e.title).join('\\n')")
        svg = p.page.evaluate(
            "[...document.querySelectorAll('svg title')].map(e => e.textContent).join('\\n')")
        for raw, shown in HIDDEN.items():
            for where in (text, titles, svg):
                assert raw not in where, repr(raw)
            assert shown in text, shown
        assert "⟨RLO⟩gnp.exe" in titles and "⟨RLO⟩gnp.exe" in svg
        output = p.page.locator("pre.output").first.inner_text()
        assert output.startswith("a␀b ␛[31mred␇ c1⟨U+0085⟩ ⟨RLO⟩gnp.exe")


def test_unknown_averages_read_unknown_and_say_why(browser: Any, multilang_runs: Path,
                                                   tmp_path: Path) -> None:
    html = build_reports([multilang_runs], tmp_path / "out", ("html",))[0][0]
    with opened(browser, html) as p:
        rows = p.page.locator("section[data-task='mvqa'] tbody.avgs tr")
        for i in range(2):  # avg seen, avg unseen
            beta = rows.nth(i).locator("td").nth(1)  # beta-7b declares no languages
            assert beta.inner_text().strip() == "unknown"
            assert "declares no training languages" in (beta.get_attribute("title") or "")
        alpha = rows.nth(0).locator("td").nth(0)
        assert alpha.inner_text().startswith("75.0")
        assert "unknown" in p.page.inner_text("header .legend")


def test_comparability_is_a_compact_mark_and_one_collapsed_explanation(
        browser: Any, multilang_runs: Path, tmp_path: Path) -> None:
    write_run(multilang_runs, "tv", "tv-measured",
              {"textvqa": task_block("textvqa", {"en": 70.0}, "org/tv")})
    html = build_reports([multilang_runs, PAPER], tmp_path / "out", ("html",))[0][0]
    with opened(browser, html) as p:
        assert p.page.locator(".warning").count() == 0  # no boxes
        details = p.page.locator("details.comparability")
        assert details.count() == 1 and details.get_attribute("open") is None
        box = details.bounding_box()
        assert box is not None and box["height"] < 60  # one line while closed
        diff = details.locator("li.diff").first
        assert not diff.is_visible()
        cell = p.page.locator("#overview-table td[data-task='textvqa'] .setup")
        assert cell.count() == 10  # the measured run and nine reported rows, each marked
        assert set(cell.all_inner_texts()) == {"⚠A", "⚠B"}
        mark = cell.first.bounding_box()
        assert mark is not None and mark["height"] <= 16  # a small mark, not a box
        p.page.locator("header .legend a[href='#comparability']").click()
        details.locator("summary").click()
        assert diff.is_visible()
        assert "B (reported numbers) vs A" in details.inner_text()


def test_the_first_runs_page_shows_the_paper_rows_and_bleu_chrf(browser: Any,
                                                                 first_run) -> None:
    html = first_run.folder / "runs" / "leaderboard.html"
    with opened(browser, html) as p:
        overview = p.page.locator("#overview-table tbody tr")
        assert overview.count() == 20
        assert p.page.locator("#overview-table tbody tr.reported").count() == 16
        assert p.page.locator("#overview-table tbody tr.reported .badge").count() == 16
        labels = [t.strip() for t in p.page.locator("#overview-table tbody th")
                  .all_inner_texts()]
        assert "tiny-gemma3" in labels and any(x.startswith("TowerVision-9B") for x in labels)
        # real per-language numbers beside the tiny runs
        paper = build_results(load_tables(PAPER / "tables.toml"))
        german = sorted(r["tasks"]["alm_bench"]["languages"]["de"]["score"]
                        for r in paper.values()
                        if "de" in r["tasks"].get("alm_bench", {}).get("languages", {}))
        de = p.page.locator("section[data-task='alm_bench'] tbody.rows tr[data-lang='de'] "
                            "td.reported .score")
        assert len(german) >= 4
        assert sorted(float(t) for t in de.all_inner_texts()) == [round(g, 1) for g in german]
        sec = p.page.locator("section[data-task='multi30k'] table.secondary")
        assert sec.is_visible()
        heads = [t.strip() for t in sec.locator("thead th").all_inner_texts()]
        assert heads == ["model", "bleu", "chrf"]
        values = sec.locator("tbody td[data-metric='bleu']").all_inner_texts()
        assert len(values) == 4 and all(v.strip()[0].isdigit() for v in values)
        notes = p.page.inner_text("section[data-task='multi30k'] ul.notes")
        assert "tvbench setup comet" in notes
        mcq = p.page.locator("section[data-task='vimul_bench'] table.secondary "
                             "tbody td[data-metric='mcq_accuracy']").all_inner_texts()
        assert len(mcq) == 4 and all(v.strip()[0].isdigit() for v in mcq)
