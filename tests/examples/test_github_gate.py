"""examples/github-actions: the gate workflow's script, end to end on the tiny models.

The workflow (tvbench-gate.yml) only installs tvbench, fetches the baseline and calls
tvbench-gate.sh; this runs that script as CI would, without GitHub or network:
GITHUB_STEP_SUMMARY is a temp file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SCRIPT = REPO / "examples" / "github-actions" / "tvbench-gate.sh"
WORKFLOW = REPO / "examples" / "github-actions" / "tvbench-gate.yml"
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "TVBENCH_SUBSET": "4",
           # four items per language: below the gate's default min_items of 10
           "TVBENCH_GATE_ARGS": "--min-items 4",
           "TVBENCH_SEED": "0", "OMP_NUM_THREADS": "1"}
    env.update(settings)
    return env


def _script(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=_env(tmp_path, **settings),
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_the_gate_script_runs_end_to_end_on_a_tiny_model(cli,
                                                          tmp_path: Path) -> None:
    code, out = cli("run", "--model", "qwen2_5_vl", "--tasks", "textvqa,cc_ocr", "--subset",
                    "4", "--output", str(tmp_path / "base"), "--no-report")
    assert code == 0, out
    baseline = str(tmp_path / "base" / "tiny-qwen2_5_vl.subset4-seed0")

    done = _script(tmp_path, TVBENCH_MODEL="qwen2_5_vl", TVBENCH_BASELINE=baseline)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "tvbench-gate"
    candidate = out / "runs" / "tiny-qwen2_5_vl.subset4-seed0"
    results = json.loads((candidate / "results.json").read_text())
    assert sorted(results["tasks"]) == ["cc_ocr", "textvqa"]  # the baseline's tasks
    assert results["tasks"]["textvqa"]["n"] == 4
    gate_md = (out / "gate.md").read_text()
    assert "passed" in gate_md
    assert gate_md in (tmp_path / "summary.md").read_text()  # posted as the job summary
    junit = ET.parse(out / "junit.xml").getroot()
    cases = junit.findall(".//testcase")
    assert cases and not junit.findall(".//failure")
    html = (out / "report" / "leaderboard.html").read_text()
    assert "tiny-qwen2_5_vl" in html and (out / "report" / "leaderboard.md").is_file()


@pytest.mark.slow
def test_the_gate_script_fails_a_regression(tmp_path: Path) -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.runs.runner import Runner, RunSettings, TaskPlan
    from tvbench.runs.store import RunFolder
    from tvbench.runs.subset import Subset

    from ..runs.fakes import FakeAdapter

    (tmp_path / "tvbench.toml").write_text((REPO / "tvbench.toml").read_text())
    task = TextVQA()
    right = {it.fields["question"].capitalize(): it.fields["answers"][0]
             for it in task.load(task.bundled_source())}
    # a baseline that answers every question right, on the same subset and cap as the tiny
    Runner(FakeAdapter(answers=right, name="good"), RunFolder(tmp_path / "good"),
           RunSettings(max_new_tokens=16, subset=Subset(4, 0))).run(
        [TaskPlan(task, task.bundled_source())])
    failed = _script(tmp_path, TVBENCH_MODEL="gemma3", TVBENCH_BASELINE="good")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = tmp_path / "tvbench-gate"
    assert "FAILED" in (tmp_path / "summary.md").read_text()
    assert ET.parse(out / "junit.xml").getroot().findall(".//failure")
    assert (out / "report" / "leaderboard.html").is_file()


def test_the_workflow_calls_the_script_and_publishes_its_outputs() -> None:
    import yaml

    flow = yaml.safe_load(WORKFLOW.read_text())
    steps = [s for job in flow["jobs"].values() for s in job["steps"]]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "examples/github-actions/tvbench-gate.sh" in runs or "tvbench-gate.sh" in runs
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    paths = " ".join(str(s["with"]["path"]) for s in uploads)
    assert "junit.xml" in paths and "leaderboard.html" in paths
    report = next(s for s in uploads if "junit.xml" in str(s["with"]["path"]))
    assert report["if"] == "always()"  # uploaded even when the gate fails
    script = SCRIPT.read_text()
    assert "GITHUB_STEP_SUMMARY" in script and "--junit" in script and "--markdown" in script
