"""An installed wheel works from another folder: tasks, bundled data and config are inside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


#: Build outputs and environments at the top of a checkout; they never go into a wheel.
_NOT_SOURCE = {".git", "build", "dist", "runs", ".gl", ".whl"}


def _source_copy(dest: Path) -> Path:
    """The checkout without build outputs: an in-tree build reuses a stale ``build/lib``, which
    can put a deleted module or an old tvbench.toml into the wheel."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == REPO
        return {n for n in names if n == "__pycache__" or n.endswith(".egg-info")
                or (top and (n in _NOT_SOURCE or n.startswith(".venv")))}

    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    return dest


def test_wheel_runs_the_builtin_tasks_from_another_folder(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "dist"),
                    str(_source_copy(tmp_path / "src"))], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("tvbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    # the wheel's tvbench.toml is the repository's, byte for byte (no second copy to drift)
    assert zipfile.ZipFile(wheel).read("tvbench/tvbench.toml") == (
        REPO / "tvbench.toml").read_bytes()
    for needed in ("tvbench/tvbench.toml", "tvbench/data/languages.json",
                   "tvbench/scorers/comet_worker.py", "tvbench/report/templates/",
                   "tvbench_tasks/textvqa.py", "tvbench_tasks/bundled/textvqa/validation.parquet",
                   "tvbench_tasks/bundled/vimul_bench/videos/"):
        assert any(n.startswith(needed) for n in names), f"{needed} missing from the wheel"
    # every package of the checkout is in the wheel (pyproject lists packages explicitly)
    inits = [init.relative_to(REPO).as_posix() for init in (REPO / "tvbench").rglob("__init__.py")]
    inits += ["tvbench_tasks/" + init.relative_to(REPO / "tasks").as_posix()
              for init in (REPO / "tasks").rglob("__init__.py")]
    missing = [rel for rel in inits if rel not in names]
    assert not missing, f"packages missing from the wheel (pyproject packages): {missing}"
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import tvbench, tvbench_tasks, sys; from tvbench.cli.main import main; "
            "assert tvbench.__file__.startswith(sys.argv[1]), tvbench.__file__; "
            "sys.exit(main(['--quiet', 'run', '--model', 'gemma3', '--tasks', "
            "'textvqa,ocrbench', '--output', 'out', '--no-report']))")
    proc = subprocess.run([sys.executable, "-c", code, str(target)], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((elsewhere / "out" / "tiny-gemma3" / "results.json").read_text())
    assert set(results["tasks"]) == {"textvqa", "ocrbench"}
    listing = subprocess.run([sys.executable, "-m", "tvbench", "tasks"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, check=True).stdout
    for task in ("alm_bench", "multi30k", "commute", "vimul_bench", "textvqa", "ocrbench",
                 "cc_ocr"):
        assert task in listing
