"""``tvbench report``: arguments, files written, errors, and a real run folder end to end."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from tvbench.cli import report_cmd


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tvbench")
    parser.add_argument("--quiet", action="store_true")
    report_cmd.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def _run(*argv: str) -> tuple[int, str]:
    args = _parse("report", *argv)
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = args.func(args)
    return code, buf.getvalue()


def test_arguments_and_defaults() -> None:
    args = _parse("report", "runs", "reports/towervision-paper")
    assert args.run_dirs == [Path("runs"), Path("reports/towervision-paper")]
    assert (args.out, args.format) == (Path("reports"), "md,html")
    with pytest.raises(ValueError, match="RUN_DIR... or --compare BASE CANDIDATE"):
        _run()  # at least one RUN_DIR, or --compare
    args = _parse("report", "--compare", "runs/a", "runs/b")
    assert (args.run_dirs, args.compare) == ([], [Path("runs/a"), Path("runs/b")])


def _write_runs(root: Path) -> Path:
    from tvbench.runs.store import RunFolder

    for name, score in (("a", 10.0), ("b", 20.0)):
        sig = f"task:t@1|langs:en|n:1|model:{name}|adapter:x@1|tvbench:0.1.0"
        RunFolder(root / name).write_results({
            "schema_version": 1, "model": {"name": name},
            "tasks": {"t": {"metric": "acc", "score": score, "ci95": None, "n": 1,
                            "signature": sig,
                            "languages": {"en": {"score": score, "n": 1, "signature": sig}}}}})
    return root


def test_writes_the_requested_formats(tmp_path: Path) -> None:
    runs = _write_runs(tmp_path / "runs")
    code, out = _run(str(runs), "--out", str(tmp_path / "rep"), "--format", "md")
    assert code == 0
    assert "read 2 measured and 0 reported run(s)" in out
    assert (tmp_path / "rep" / "leaderboard.md").is_file()
    assert not (tmp_path / "rep" / "leaderboard.html").exists()
    code, out = _run(str(runs / "a"), str(runs / "b"), "--out", str(tmp_path / "rep"))
    assert code == 0 and out.count("wrote ") == 2
    assert "| b | 20.0 |" in (tmp_path / "rep" / "leaderboard.md").read_text()


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--format 'pdf'"):
        _run(str(tmp_path), "--format", "pdf")
    with pytest.raises(ValueError, match="no run folders"):
        _run(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        _run(str(tmp_path / "missing"))


def test_the_tvbench_command_has_the_report_subcommand(cli, tmp_path: Path) -> None:
    runs = _write_runs(tmp_path / "runs")
    code, out = cli("report", str(runs), "--out", str(tmp_path / "rep"))
    assert code == 0, out
    assert (tmp_path / "rep" / "leaderboard.html").is_file()
    code, out = cli("report", str(runs), "--format", "pdf")
    assert code == 2 and "--format" in out


def test_a_real_textvqa_run_folder_end_to_end(tiny_adapter, tmp_path: Path) -> None:
    """Runner + tiny Qwen2.5-VL on the bundled TextVQA samples, then the report reads it."""
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.runs.runner import Runner, RunSettings, TaskPlan
    from tvbench.runs.store import RunFolder

    task = TextVQA()
    settings = RunSettings(batch_size=4, max_new_tokens=4)
    Runner(tiny_adapter("qwen2_5_vl"), RunFolder(tmp_path / "runs" / "q"), settings).run(
        [TaskPlan(task, task.bundled_source())])
    code, _ = _run(str(tmp_path / "runs"), "--out", str(tmp_path / "rep"))
    assert code == 0
    html = (tmp_path / "rep" / "leaderboard.html").read_text()
    md = (tmp_path / "rep" / "leaderboard.md").read_text()
    assert "textvqa" in md and "vqa\\_accuracy" in md and "| en English |" in md
    # the runner keeps 4 thumbnails per language; all 4 are embedded as data: URIs
    assert html.count('src="data:image/jpeg;base64,') == 4
    assert "What is the name of the cafe?" in html  # the bundled prompt, in the browser
