"""Gating on real run folders made by the runner with a fake model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.runs.gate import GateRule, compare, rules_from_config
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.store import RunFolder

from .fakes import FakeAdapter

GOOD = {"name of the cafe": "cafe roma", "brand": "coca cola", "speed limit": "50",
        "english word": "books", "does the train go": "lisboa", "sign say": "exit"}


def _run(tmp_path: Path, name: str, answers: dict[str, str], **task_opts) -> dict:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA(**task_opts)
    return Runner(FakeAdapter(answers=answers, name=name), RunFolder(tmp_path / name),
                  RunSettings()).run([TaskPlan(task, task.bundled_source())])


def test_same_quality_passes_and_a_drop_fails(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    same = _run(tmp_path, "same", GOOD)
    worse = _run(tmp_path, "worse", {k: v for k, v in list(GOOD.items())[:3]})
    assert base["tasks"]["textvqa"]["score"] == 50.0
    ok = compare(same, base, default=GateRule(max_drop=1.0))
    assert ok.exit_code == 0 and [c.verdict for c in ok.checks] == ["pass"]
    bad = compare(worse, base, default=GateRule(max_drop=1.0))
    assert bad.exit_code == 1
    assert bad.checks[0].delta == pytest.approx(-25.0) and "dropped 25.00" in bad.checks[0].reason
    lenient = compare(worse, base, default=GateRule(max_drop=30.0))
    assert lenient.exit_code == 0


def test_different_signatures_cannot_be_compared(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    other = _run(tmp_path, "clean", GOOD, normaliser="evalai-clean")
    report = compare(other, base, default=GateRule())
    assert report.exit_code == 2
    assert report.checks[0].verdict == "incomparable" and "opts" in report.checks[0].reason


def test_min_score_errors_and_missing_tasks(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    assert compare(base, base, default=GateRule(min_score=60)).exit_code == 1
    broken = _run(tmp_path, "broken", GOOD)
    broken["tasks"]["textvqa"]["n_errors"] = 2
    assert compare(broken, base, default=GateRule()).checks[0].reason.startswith("2 items")
    assert compare(broken, base, default=GateRule(), allow_errors=True).exit_code == 0
    missing = compare(base, base, default=GateRule(), tasks=["ocrbench"])
    assert missing.exit_code == 1 and "missing" in missing.checks[0].reason


def test_per_language_checks_and_config_rules(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    report = compare(base, base, default=GateRule(), per_language=True)
    assert [(c.task, c.lang) for c in report.checks] == [("textvqa", None), ("textvqa", "en")]
    default, per_task = rules_from_config({"max_drop": 2, "tasks": {"textvqa": {"max_drop": 0.5}}},
                                          min_score=10)
    assert default == GateRule(2.0, 10) and per_task["textvqa"] == GateRule(0.5, 10)


def test_gate_cli_exit_codes_and_markdown(cli, tmp_path: Path) -> None:
    _run(tmp_path, "base", GOOD)
    _run(tmp_path, "worse", {"brand": "coca cola"})
    code, out = cli("gate", str(tmp_path / "base"), "--baseline", str(tmp_path / "base"))
    assert code == 0 and "gate passed" in out
    code, out = cli("gate", str(tmp_path / "worse"), "--baseline", str(tmp_path / "base"),
                    "--markdown", "gate.md")
    assert code == 1 and "gate FAILED: 1 regression" in out
    assert "| textvqa | all |" in Path("gate.md").read_text()
    code, out = cli("gate", str(tmp_path / "nowhere"), "--baseline", str(tmp_path / "base"))
    assert code == 2 and "no results.json" in out
