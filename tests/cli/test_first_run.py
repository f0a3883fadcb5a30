"""The README's first command, as a new user runs it: what the terminal shows and what the
leaderboard holds. (The page itself is checked in a real browser in tests/report.)"""

from __future__ import annotations

import json

from tvbench.tasks.registry import TASKS

from .terminal import assert_fits

MODELS = ("tiny-towervision", "tiny-qwen2_5_vl", "tiny-gemma3", "tiny-aya_vision")


def test_it_finishes_and_ends_with_the_way_to_a_real_checkpoint(first_run) -> None:
    assert first_run.returncode == 0, first_run.output[-3000:]
    last = first_run.output.rstrip().splitlines()[-1]
    assert last == "next, a real checkpoint: tvbench run --model towervision-2b --data hub"


def test_the_terminal_summary_is_readable_at_80_columns(first_run) -> None:
    names = set()
    for name in TASKS.names():
        task = TASKS.get(name)()
        names |= {name, *(m.name for m in task.metrics({}))}
    assert_fits(first_run.output, {*MODELS, *names, "n/s"})


def test_multi30k_shows_bleu_and_chrf_and_how_to_get_xcomet(first_run) -> None:
    lines = first_run.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:2] == ["multi30k", "xcomet"])
    assert "n/s" in lines[at]  # the headline stays not scored
    assert lines[at + 1].split()[:2] == ["·", "bleu"] and lines[at + 2].split()[:2] == ["·",
                                                                                       "chrf"]
    note = " ".join(" ".join(lines).split())
    assert "multi30k: XCOMET not scored" in note and "(run `tvbench setup comet`)" in note
    results = json.loads((first_run.folder / "runs/tiny-gemma3/results.json").read_text())
    block = results["tasks"]["multi30k"]
    assert block["score"] is None and block["status"].startswith("not scored")
    assert {k: v["score"] is not None for k, v in block["metrics"].items()} == {
        "bleu": True, "chrf": True}


def test_vimul_reports_mcq_accuracy_without_a_judge(first_run) -> None:
    lines = first_run.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:2] == ["vimul_bench", "accuracy"])
    assert "n/s" in lines[at]  # the paper's metric needs a judge
    mcq = lines[at + 1].split()
    assert mcq[:2] == ["·", "mcq_accuracy"] and mcq[2] != "n/s"
    results = json.loads((first_run.folder / "runs/tiny-gemma3/results.json").read_text())
    assert results["tasks"]["vimul_bench"]["metrics"]["mcq_accuracy"]["score"] is not None


def test_the_leaderboard_puts_the_papers_rows_beside_the_tiny_runs(first_run) -> None:
    md = (first_run.folder / "runs" / "leaderboard.md").read_text()
    assert md.startswith("# tvbench leaderboard\n\n4 measured run(s), 16 reported")
    assert "| _TowerVision-9B_ (rep.) |" in md and "| tiny-gemma3 |" in md
    assert "_Other metrics of multi30k:_" in md
    # the runs table says where the reported numbers come from
    assert "TowerVision paper arXiv 2510.21849" in md
