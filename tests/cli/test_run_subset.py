"""``tvbench run --subset N --seed S`` on a tiny checkpoint, and the gate on subset runs."""

from __future__ import annotations

import json
from pathlib import Path


def _records(path: Path) -> dict[str, dict]:
    lines = path.read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def test_subset_runs_have_their_own_folder_and_reuse_the_full_run(cli) -> None:
    base = ("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o", "--no-report",
            "--max-new-tokens", "6")
    assert cli(*base)[0] == 0
    full = _records(Path("o/tiny-gemma3/records/textvqa.jsonl"))
    code, out = cli(*base, "--subset", "4", "--seed", "1")
    assert code == 0, out
    assert "textvqa: 4 finished items taken from tiny-gemma3" in out
    sub = _records(Path("o/tiny-gemma3.subset4-seed1/records/textvqa.jsonl"))
    assert len(sub) == 4 and all(sub[k]["output"] == full[k]["output"] for k in sub)
    # the full run's folder still describes the full run
    results = json.loads(Path("o/tiny-gemma3/results.json").read_text())
    assert results["tasks"]["textvqa"]["n"] == 12 and "subset" not in results["run"]
    code, out = cli(*base, "--subset", "4", "--seed", "1", "--overwrite")
    assert code == 0 and "taken from" not in out  # --overwrite generates everything afresh
    again = _records(Path("o/tiny-gemma3.subset4-seed1/records/textvqa.jsonl"))
    assert {k: r["output"] for k, r in again.items()} == {k: r["output"] for k, r in sub.items()}
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvqa", "--subset", "2",
                    "--limit", "3", "--no-report")
    assert code == 2 and "cannot be combined" in out


def test_gate_refuses_to_compare_different_subsets(cli) -> None:
    base = ("run", "--model", "gemma3", "--tasks", "textvqa", "--no-report",
            "--max-new-tokens", "6", "--subset", "4")
    assert cli(*base, "--seed", "0", "--output", "a")[0] == 0
    assert cli(*base, "--seed", "1", "--output", "b")[0] == 0
    assert cli(*base, "--seed", "0", "--output", "c")[0] == 0
    same = cli("gate", "c/tiny-gemma3.subset4-seed0", "--baseline", "a/tiny-gemma3.subset4-seed0",
               "--min-items", "4")
    assert same[0] == 0, same[1]
    code, out = cli("gate", "b/tiny-gemma3.subset4-seed1", "--baseline",
                    "a/tiny-gemma3.subset4-seed0")
    assert code == 2 and "subset" in out, out
