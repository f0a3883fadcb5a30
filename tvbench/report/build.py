"""Write leaderboard.md and leaderboard.html from run folders, atomically.

Called by ``tvbench report`` and, at the end of every ``tvbench run``, through
:func:`refresh_reports`. Both only read run folders; no model is ever loaded. Files are written
with a temp file + rename, so a reader (a CI step, a browser tab) never sees half a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tvbench.report.load import Loaded, arranged, is_run_folder, load_runs
from tvbench.report.tables import build_board
from tvbench.runs.store import atomic_write

FORMATS = ("md", "html")
NAMES = {"md": "leaderboard.md", "html": "leaderboard.html"}


def parse_formats(value: str) -> tuple[str, ...]:
    """``"md,html"`` → ``("md", "html")``; an unknown format is an error naming the choices."""
    out = []
    for part in value.split(","):
        fmt = part.strip().lower()
        if not fmt:
            continue
        if fmt not in FORMATS:
            raise ValueError(f"--format {part!r}: expected a comma-separated subset of "
                             f"{','.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise ValueError("--format: name at least one of " + ",".join(FORMATS))
    return tuple(out)


def write_reports(loaded: Loaded, out: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Render the loaded runs into ``out`` in each format; returns the files written."""
    board = build_board(loaded)
    written = []
    for fmt in formats:
        if fmt == "md":
            from tvbench.report.markdown import render_markdown

            content = render_markdown(board)
        elif fmt == "html":
            from tvbench.report.html import render_html

            content = render_html(board, loaded.runs)
        else:
            raise ValueError(f"unknown report format {fmt!r}")
        path = out / NAMES[fmt]
        atomic_write(path, content)
        written.append(path)
    return written


def build_reports(run_dirs: Iterable[Path], out: Path,
                  formats: Sequence[str] = FORMATS) -> tuple[list[Path], Loaded]:
    """Reports for run folders (or folders of run folders); errors if none is found."""
    dirs = [Path(p) for p in run_dirs]
    loaded = load_runs(dirs)
    if not loaded.runs:
        raise ValueError("no run folders (folders with a results.json) in "
                         + ", ".join(str(d) for d in dirs))
    return write_reports(loaded, Path(out), formats), loaded


def with_paper_rows(loaded: Loaded) -> Loaded:
    """``loaded`` plus the TowerVision paper's reported rows for the tasks its measured runs
    have, so a first run's page shows real models' per-language results beside tiny ones.

    A paper model already present as a reported run (its folder copied in) is not repeated.
    """
    from tvbench.report.reported import paper_runs

    tasks = {t for r in loaded.runs if r.reported is None for t in r.tasks}
    present = {r.model_name for r in loaded.runs if r.reported is not None}
    extra = [r for r in paper_runs(tasks) if r.model_name not in present]
    return arranged(loaded, extra)


def refresh_reports(output_root: Path, paper: bool = True) -> list[Path]:
    """Rewrite ``output_root``/leaderboard.{md,html} from every run folder directly inside it,
    with the paper's reported rows beside them unless ``paper`` is False.

    Used at the end of ``tvbench run``; a broken sibling folder is listed in the report as
    skipped rather than failing the run that just finished. Returns the files written (none
    when the folder holds no run).
    """
    root = Path(output_root)
    if not root.is_dir():
        return []
    children = sorted(p for p in root.iterdir() if p.is_dir() and is_run_folder(p))
    loaded = load_runs(children, strict=False)
    if not loaded.runs:
        return []
    return write_reports(with_paper_rows(loaded) if paper else loaded, root)
