"""scripts/gpu_check.sh and gpu_wheels.sh, in the parts a CPU machine can run: arguments,
installing missing modules from a local folder of wheels, the dry run, and a CPU rehearsal
of the steps on the small random model."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "gpu_check.sh"
WHEELS = REPO / "scripts" / "gpu_wheels.sh"


def _run(script: Path, *args: str, env: dict[str, str] | None = None,
         timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHON": sys.executable,
                                                **(env or {})})


def _wheel(folder: Path, module: str, dist: str, version: str = "1.0") -> Path:
    """A minimal pure-Python wheel, written by hand (no build tools, no network)."""
    files = {f"{module}/__init__.py": b"VALUE = 42\n",
             f"{dist.replace('-', '_')}-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
             f"{dist.replace('-', '_')}-{version}.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: tvbench-test\nRoot-Is-Purelib: true\n"
                 b"Tag: py3-none-any\n"}
    record_name = f"{dist.replace('-', '_')}-{version}.dist-info/RECORD"
    lines = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}")
    lines.append(f"{record_name},,")
    path = folder / f"{dist.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr(record_name, "\n".join(lines) + "\n")
    return path


def test_help_and_bad_arguments() -> None:
    for script in (CHECK, WHEELS):
        ok = _run(script, "--help")
        assert ok.returncode == 0 and ok.stdout.startswith("usage: scripts/"), ok.stderr
        bad = _run(script, "--frobnicate")
        assert bad.returncode == 2 and "unknown argument '--frobnicate'" in bad.stderr
    assert "not a number of seconds" in _run(CHECK, "--budget", "soon").stderr
    assert "unknown step 'fotos'" in _run(CHECK, "--steps", "fotos").stderr


def test_missing_modules_are_installed_from_the_carried_wheels(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "tvbench_probe_mod", "tvbench-probe-mod")
    modules = tmp_path / "modules.txt"
    modules.write_text("# module requirement\njson json\n"
                       "tvbench_probe_mod tvbench-probe-mod==1.0\n"
                       "tvbench_absent_optional tvbench-absent-optional optional\n")
    out = tmp_path / "out"
    done = _run(CHECK, "--only-install", "--wheels", str(wheels), "--modules", str(modules),
                "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "present: json" in done.stdout
    assert "installing: tvbench_probe_mod from tvbench_probe_mod-1.0-py3-none-any.whl" \
        in done.stdout
    assert "absent (optional" in done.stdout and "modules ready" in done.stdout
    assert (out / "site" / "tvbench_probe_mod" / "__init__.py").is_file()
    probe = subprocess.run([sys.executable, "-c", "import tvbench_probe_mod as m; "
                            "print(m.VALUE)"], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(out / "site")})
    assert probe.stdout.strip() == "42"
    # installed now, so a second run finds it present and installs nothing
    again = _run(CHECK, "--only-install", "--wheels", str(wheels), "--modules", str(modules),
                 "--out", str(out))
    assert again.returncode == 0 and "present: tvbench_probe_mod" in again.stdout
    # a required module without a wheel stops the check before anything runs
    modules.write_text("tvbench_nowhere tvbench-nowhere\n")
    stop = _run(CHECK, "--wheels", str(wheels), "--modules", str(modules), "--out",
                str(tmp_path / "o2"))
    assert stop.returncode == 3 and "missing, and no usable wheel" in stop.stdout
    assert "tvbench_nowhere" in stop.stdout and "scripts/gpu_wheels.sh" in stop.stdout


def _present_only(tmp_path: Path) -> str:
    """A module list of one module that imports here (checking the real list imports
    torchvision and the rest, which the install test covers)."""
    path = tmp_path / "present.txt"
    path.write_text("json json\n")
    return str(path)


def test_dry_run_prints_the_gpu_steps(tmp_path: Path) -> None:
    done = _run(CHECK, "--dry-run", "--out", str(tmp_path / "dry"), "--modules",
                _present_only(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    photos = next(x for x in lines if "--label photos-gpu" in x)
    assert "--model random:qwen2_5_vl-7b" in photos and "--device cuda" in photos
    assert "--batch-sizes 1,8,32" in photos and f"--json {tmp_path / 'dry'}/photos.json" in photos
    assert any("--workload loglikelihood" in x for x in lines)
    assert any("--batch-invariant" in x for x in lines)
    assert any("--compile inductor" in x for x in lines)
    assert "load_step" in lines and "default_run" in lines
    wheels = _run(WHEELS, "--dry-run", "--dest", str(tmp_path / "w"), "--python-version",
                  "3.12")
    assert wheels.returncode == 0
    assert "--python-version 3.12" in wheels.stdout and "torchvision==0.26.0" in wheels.stdout


def test_cpu_rehearsal_runs_the_steps_on_the_small_model(tmp_path: Path) -> None:
    out = tmp_path / "cpu"
    done = _run(CHECK, "--cpu", "--steps", "photos,load", "--out", str(out), "--modules",
                _present_only(tmp_path), env={"OMP_NUM_THREADS": "1"}, timeout=900)
    log = (out / "log.txt").read_text() if (out / "log.txt").exists() else ""
    assert done.returncode == 0, done.stdout + log[-3000:]
    photos = json.loads((out / "photos.json").read_text())
    (model,) = photos["models"]
    assert model["source"] == "random:qwen2_5_vl-small" and model["device"] == "cpu"
    assert [r["batch_size"] for r in model["rows"]] == [1, 2]
    assert model["rows"][1]["parity"]["checked"] == 4
    load = json.loads((out / "load.json").read_text())["models"][0]
    assert load["load_s"] > 0 and load["bare_load_s"] > 0
    assert load["source"].endswith("checkpoint-small")
    assert not (out / "checkpoint-small").exists(), "the saved checkpoint is removed"
    text = (out / "BENCHMARKS.cpu-rehearsal.md").read_text()
    assert "begin photos-cpu-rehearsal" in text and "begin load-cpu-rehearsal" in text
    assert "skipped" not in done.stdout
