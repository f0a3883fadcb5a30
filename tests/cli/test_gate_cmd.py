"""``tvbench gate`` through the real command line: a new user's steps on real runs of a tiny
model, and a significant one-language drop with every output written by one command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from ..runs.gate_runs import accuracies, write_run

DEFAULT_TASKS = ("alm_bench", "multi30k", "commute", "vimul_bench", "textvqa", "ocrbench",
                 "cc_ocr")


def _flat(text: str) -> str:
    """Terminal text with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.slow
def test_a_new_users_steps_on_real_runs(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out = cli("run", "--model", "tiny-qwen2_5_vl", "--no-report")  # every default task
    assert code == 0, out
    shutil.copytree("runs/tiny-qwen2_5_vl", "runs/copy")

    # The default run against an identical copy of itself passes; tasks unscored on both
    # sides are "not compared" with their reason, said once, brackets kept.
    code, out = cli("gate", "runs/copy", "--baseline", "runs/tiny-qwen2_5_vl",
                    "--json", "gate.json", "--junit", "gate.xml", "--markdown", "gate.md",
                    "--report", "why")
    assert code == 0, out
    assert "gate passed" in out
    doc = json.loads(Path("gate.json").read_text())
    heads = {c["task"]: c for c in doc["checks"] if c["scope"] == "task"}
    assert set(heads) == set(DEFAULT_TASKS)
    assert heads["multi30k"]["verdict"] == heads["vimul_bench"]["verdict"] == "not compared"
    assert all(c["verdict"] == "pass" and c["test"] == "paired bootstrap"
               for t, c in heads.items() if t not in ("multi30k", "vimul_bench"))
    judge = "no judge configured ([judge] model in tvbench.toml)"
    assert _flat(out).count(judge) == 1 and judge in heads["vimul_bench"]["reason"]
    assert "not scored: not scored" not in _flat(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    etree.fromstring(Path("gate.xml").read_bytes())
    assert "### tvbench gate: ✅ passed" in Path("gate.md").read_text()
    assert Path("why/compare.html").is_file()

    # A TextVQA-only candidate against the full baseline fails: every missing task is named.
    code, out = cli("run", "--model", "tiny-qwen2_5_vl", "--tasks", "textvqa", "--output",
                    "cand", "--no-report")
    assert code == 0, out
    code, out = cli("gate", "cand/tiny-qwen2_5_vl", "--baseline", "runs/tiny-qwen2_5_vl")
    assert code == 1 and "gate FAILED: 6 regression(s)" in out
    for task in (t for t in DEFAULT_TASKS if t != "textvqa"):
        assert f"{task}: task missing from the candidate run" in _flat(out)
    # Partial overlap fails too.
    code, out = cli("run", "--model", "tiny-qwen2_5_vl", "--tasks", "textvqa,ocrbench,commute",
                    "--output", "part", "--no-report")
    assert code == 0, out
    code, out = cli("gate", "part/tiny-qwen2_5_vl", "--baseline", "runs/tiny-qwen2_5_vl")
    assert code == 1 and "gate FAILED: 4 regression(s)" in out
    # Narrowed with --tasks: what both runs have passes; a named task one run lacks is exit 2.
    code, out = cli("gate", "cand/tiny-qwen2_5_vl", "--baseline", "runs/tiny-qwen2_5_vl",
                    "--tasks", "textvqa")
    assert code == 0, out
    code, out = cli("gate", "cand/tiny-qwen2_5_vl", "--baseline", "runs/tiny-qwen2_5_vl",
                    "--tasks", "textvqa,ocrbench")
    assert code == 2 and "task named by --tasks is not in the candidate run" in _flat(out)
    # A typo is not a regression.
    code, out = cli("gate", "runs/copy", "--baseline", "runs/tiny-qwen2_5_vl",
                    "--tasks", "textvq")
    assert code == 2 and "unknown task 'textvq'. Did you mean 'textvqa'?" in out


def test_a_significant_drop_in_one_language_fails_with_all_outputs(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rng = np.random.default_rng(0)
    langs = ["de", "fr", "it", "es", "ru", "uk", "sw", "am"]
    base = accuracies(rng, langs, 60, 0.7)
    cand = dict(base, uk=[0.0] * 30 + base["uk"][30:])
    groups = ("resource", "script", "family")
    write_run(tmp_path, "base", {"alm_bench": base}, seen=["de", "fr"], groups=groups)
    write_run(tmp_path, "cand", {"alm_bench": cand}, seen=["de", "fr"], groups=groups)
    code, out = cli("gate", str(tmp_path / "cand"), "--baseline", str(tmp_path / "base"),
                    "--junit", "g.xml", "--json", "g.json", "--markdown", "g.md",
                    "--correction", "holm", "--resamples", "4000")
    assert code == 1, out
    flat = _flat(out)
    assert "correction: Holm FWER" in flat and "4000 resamples" in flat
    row = next(line for line in out.splitlines() if line.startswith("  uk "))
    assert row.rstrip().endswith("fail") and "[-" in row
    assert "alm_bench · uk: dropped" in flat and "significant (p_adj" in flat
    group = next(line for line in out.splitlines() if "family:Indo-European" in line)
    assert group.rstrip().endswith("fail")  # a long group name keeps its row whole
    assert max(len(line) for line in out.splitlines()) <= 80
    doc = json.loads(Path("g.json").read_text())
    failed = {c["name"] for c in doc["checks"] if c["verdict"] == "fail"}
    assert "uk" in failed and failed <= {"uk", "all", "unseen", "script:Cyrl",
                                         "family:Indo-European"}
    assert doc["test"]["correction"] == "holm"
    xml = etree.fromstring(Path("g.xml").read_bytes())
    assert xml.get("failures") == str(len([c for c in doc["checks"]
                                           if c["verdict"] == "fail"]))
    assert "| alm_bench · uk |" in Path("g.md").read_text()


def test_gate_settings_are_validated(cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    write_run(tmp_path, "run", {"t": accuracies(rng, ["en"], 20, 0.5)})
    run = str(tmp_path / "run")
    code, out = cli("gate", run, "--baseline", run, "--alpha", "1.5")
    assert code == 2 and "--alpha: must lie between 0 and 1" in out
    code, out = cli("gate", str(tmp_path / "nowhere"), "--baseline", run)
    assert code == 2 and "no results.json" in out
    Path("tvbench.toml").write_text("[gate.groups.unsen]\nmax_drop = 2\n")
    code, out = cli("gate", run, "--baseline", run)
    assert code == 2 and "key 'gate.groups.unsen'" in out and "Did you mean 'unseen'" in out
