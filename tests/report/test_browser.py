"""The HTML report in a real browser: headless Chromium driven by Playwright.

Playwright's own browser download is impossible offline, so the Debian ``chromium`` package
is used (``apt-get install -y chromium``; override the path with TVBENCH_CHROMIUM). Without
it these tests FAIL with that instruction: a browser check that silently skips would let a
broken report through.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tvbench.data.languages import info
from tvbench.report.build import build_reports

from .synthetic import jpeg, record, task_block, write_run

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PAPER = Path(__file__).resolve().parents[2] / "reports" / "towervision-paper"
XSS = ("<script>window.__xss=1</script>", '"><img src=x onerror="window.__xss=1">',
       "javascript:window.__xss=1")


def chromium_path() -> str:
    return os.environ.get("TVBENCH_CHROMIUM", "/usr/bin/chromium")


def require_chromium() -> str:
    """The browser's path, or a test failure that says how to install it."""
    path = chromium_path()
    if not Path(path).is_file():
        pytest.fail(f"headless Chromium not found at {path}: install the Debian package with "
                    "`apt-get install -y chromium` (or point TVBENCH_CHROMIUM at a Chromium "
                    "binary); the HTML report tests need a real browser", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright (python) is not installed: pip install playwright",
                    pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module; None when missing, so each test fails (never skips)."""
    if not Path(chromium_path()).is_file():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A loaded report page that records requests, console errors and dialogs."""

    def __init__(self, browser: Any, html: Path) -> None:
        require_chromium()
        assert browser is not None
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)
        self.page.goto(html.as_uri())

    def column(self, selector: str) -> list[str]:
        return [t.strip() for t in self.page.locator(selector).all_inner_texts()]

    def visible(self, selector: str) -> list[bool]:
        loc = self.page.locator(selector)
        return [loc.nth(i).is_visible() for i in range(loc.count())]

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def report(multilang_runs: Path, tmp_path: Path) -> Path:
    paths, _ = build_reports([multilang_runs, PAPER], tmp_path / "out", ("html",))
    return paths[0]


@contextmanager
def opened(browser: Any, html: Path) -> Iterator[Page]:
    """Open ``html`` inside the test body (so a missing browser FAILS the test), then check
    it stayed self-contained: nothing but the file itself and data: images was requested,
    and the CSP let our own script and style run (a hash mismatch logs a console error)."""
    p = Page(browser, html)
    try:
        yield p
        assert all(u.startswith(("file://", "data:")) for u in p.requests), p.requests
        assert p.errors == [] and p.dialogs == []
    finally:
        p.close()


def test_a_missing_browser_fails_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TVBENCH_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        require_chromium()


def test_tables_render(browser: Any, report: Path) -> None:
    with opened(browser, report) as page:
        overview = page.column("#overview-table tbody th")
        assert overview[:2] == ["alpha-3b", "beta-7b"]
        assert any(label.startswith("TowerVision-2B") for label in overview)
        assert page.page.locator("#overview-table tbody tr.reported").count() == 16
        assert page.page.locator("#overview-table .badge").first.inner_text() == "REPORTED"
        langs = "section[data-task='mvqa'] table.langs tbody.rows th"
        assert [t.split()[0] for t in page.column(langs)] == ["en", "de", "is", "sw"]
        unseen = page.page.locator("section[data-task='mvqa'] tbody.rows td .unseen-mark")
        assert unseen.count() == 2  # alpha's sw and is


def test_clicking_a_header_sorts(browser: Any, report: Path) -> None:
    with opened(browser, report) as page:
        head = page.page.locator("#overview-table thead th[data-task='mvqa']")
        rows = "#overview-table tbody th"
        head.click()
        assert page.column(rows)[:2] == ["alpha-3b", "beta-7b"]  # 60.0 then 56.2, blanks last
        assert head.get_attribute("aria-sort") == "descending"
        head.click()
        assert page.column(rows)[:2] == ["beta-7b", "alpha-3b"]
        assert head.get_attribute("aria-sort") == "ascending"
        table = "section[data-task='mvqa'] table.langs"
        lang_rows = f"{table} tbody.rows th"
        page.page.locator(f"{table} thead th").nth(1).click()  # alpha-3b: 80, 70, 50, 40
        assert [t.split()[0] for t in page.column(lang_rows)] == ["en", "de", "is", "sw"]
        page.page.locator(f"{table} thead th").nth(2).click()  # beta-7b: 65, 60, 55, 45
        assert [t.split()[0] for t in page.column(lang_rows)] == ["de", "en", "sw", "is"]
        page.page.locator(f"{table} thead th").nth(0).click()  # language code, A→Z
        assert [t.split()[0] for t in page.column(lang_rows)] == ["de", "en", "is", "sw"]
        # the averages stay on top, unsorted
        assert page.column(f"{table} tbody.avgs th") == ["avg seen", "avg unseen", "avg all"]


def test_filters_hide_and_show_rows_and_cells(browser: Any, report: Path) -> None:
    with opened(browser, report) as page:
        sec = "section[data-task='mvqa']"
        rows = f"{sec} table.langs tbody.rows tr"
        page.page.select_option("#f-lang", "sw")
        assert page.visible(rows) == [False, False, False, True]
        assert page.visible(f"{sec} svg.heatmap g.hcol") == [False, False, False, True]
        assert all(page.page.locator(f"{sec} article.item").nth(i).get_attribute("data-lang")
                   == "sw" or not vis for i, vis in enumerate(page.visible(f"{sec} article.item")))
        assert page.page.inner_text("#f-count") == "1 language(s) shown"
        page.page.select_option("#f-lang", "")
        page.page.select_option("#f-seen", "unseen")
        assert page.visible(rows) == [False, False, True, True]  # en, de have no unseen cell
        # in the sw row alpha's cell (unseen) stays, beta's (unknown) is hidden
        assert page.visible(f"{sec} tbody.rows tr[data-lang='sw'] td") == [True, False]
        page.page.select_option("#f-seen", "")
        # resource levels come from tvbench/data/languages.json: filter by English's level
        level = info("en").resource
        page.page.select_option("#f-resource", level)
        assert page.visible(rows) == [info(c).resource == level for c in ("en", "de", "is", "sw")]
        page.page.select_option("#f-resource", "")
        page.page.select_option("#f-task", "ocr")
        assert not page.page.locator(sec).is_visible()
        assert page.page.locator("section[data-task='ocr']").is_visible()
        assert page.visible("#overview-table thead th[data-task]")[:2] == [False, True]
        page.page.select_option("#f-task", "")
        assert page.page.locator(sec).is_visible() and all(page.visible(rows))


def test_heatmap_svg_has_tooltips_with_n_and_ci(browser: Any, report: Path, tmp_path: Path) -> None:
    with opened(browser, report) as page:
        cells = page.page.locator("section[data-task='mvqa'] svg.heatmap g.hc > title")
        assert cells.count() == 8  # 2 models × 4 languages
        tips = cells.all_text_contents()
        assert ("alpha-3b · sw (Swahili): 40.0 · n=10 · 95% CI [35.0, 45.0] · unseen language"
                in tips)
        bars = page.page.locator("section[data-task='mvqa'] svg.bars g.barrow > title")
        assert "beta-7b · mvqa: 56.2 · n=40 · 95% CI [55.2, 57.2]" in bars.all_text_contents()
        box = page.page.locator("section[data-task='mvqa'] svg.heatmap").bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        page.page.locator("details.browser > summary").first.click()
        img = page.page.locator("section[data-task='mvqa'] article.item img").first
        assert img.evaluate("i => i.complete && i.naturalWidth") == 128  # the data: URI decoded
        shot = tmp_path / "leaderboard.png"
        page.page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_untrusted_text_never_executes_and_shows_escaped(browser: Any, tmp_path: Path) -> None:
    a, b, c = XSS
    root = tmp_path / "runs"
    block = task_block(b, {"en": 50.0, b: 20.0}, "org/x", metric=a)
    block["status"], block["notes"] = a, [c]
    block["languages"][b]["score"] = None
    block["languages"][b]["status"] = c
    recs = [record(a, "en", output=a, answer=b, prompt=f"{a} {b} {c}", error=c),
            record(c, b, output=c, answer=a, prompt=b, score=a)]
    recs[1]["thumb"] = c  # a hostile thumbnail path is refused, never used as a URL
    write_run(root, "evil", f"{a}{b}{c}", {b: block}, records={b: recs},
              thumbs={(b, a): jpeg()})
    html = build_reports([root], tmp_path / "out", ("html",))[0][0]
    with opened(browser, html) as p:
        p.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        p.page.locator("#overview-table thead th").nth(1).click()  # interact: sort, filter
        p.page.select_option("#f-lang", index=1)
        p.page.select_option("#f-lang", "")
        assert p.page.evaluate("typeof window.__xss") == "undefined"
        assert p.dialogs == []
        dom = p.page.evaluate("""() => ({
            scripts: document.querySelectorAll('script').length,
            onerror: document.querySelectorAll('[onerror]').length,
            imgx: document.querySelectorAll('img[src="x"]').length,
            js: [...document.querySelectorAll('[src],[href]')].filter(e =>
                (e.getAttribute('src') || e.getAttribute('href') || '').startsWith('javascript'))
                .length})""")
        assert dom == {"scripts": 1, "onerror": 0, "imgx": 0, "js": 0}
        text = p.page.inner_text("body")
        for payload in XSS:
            assert payload in text, payload  # shown literally, as text
