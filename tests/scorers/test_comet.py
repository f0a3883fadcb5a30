"""The COMET client and worker: real scoring with a tiny checkpoint, and every failure path."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tvbench.scorers.comet import WORKER, CometClient, CometError, comet_from_config

ITEMS = [
    {"src": "The cat is on the table.", "mt": "Die Katze ist auf dem Tisch.",
     "ref": "Die Katze ist auf dem Tisch."},
    {"src": "Two dogs run.", "mt": "Zwei Hunde.", "ref": "Zwei Hunde rennen."},
    {"src": "Hello world.", "mt": "Bonjour le monde.", "ref": "Bonjour tout le monde."},
    {"src": "We'll have to get rid of that mole.", "mt": "我们得除掉那只鼹鼠。",
     "ref": "我们得去掉那颗痣。"},
]


def _client(py: Path | str, model: Path | str, tmp_path: Path, **kw: object) -> CometClient:
    return CometClient(python=str(py), model=str(model), batch_size=2, gpus=0,
                       log_path=tmp_path / "comet.log", **kw)  # type: ignore[arg-type]


def test_scores_with_tiny_checkpoint(comet_py: Path, tiny_comet: Path, tmp_path: Path) -> None:
    result = _client(comet_py, tiny_comet, tmp_path).score(ITEMS)
    assert len(result.scores) == len(ITEMS)
    assert all(math.isfinite(s) for s in result.scores)
    assert result.system_score == pytest.approx(sum(result.scores) / len(ITEMS))
    assert result.comet_version == "2.2.7"
    assert result.revision is None  # a local folder has no hub revision...
    assert result.identity() == f"tiny#{result.digest[:8]}"  # ...so its content names it
    assert "|" not in result.describe() and "comet:2.2.7" in result.describe()
    assert "=== " in (tmp_path / "comet.log").read_text()  # worker stderr went to the log
    again = _client(comet_py, tiny_comet, tmp_path).score(ITEMS)
    assert again.scores == result.scores  # seeded checkpoint, deterministic


def test_worker_matches_comet_api_directly(comet_py: Path, tiny_comet: Path,
                                           tmp_path: Path) -> None:
    """Differential: the same predict() call made by hand inside the COMET interpreter."""
    code = ("import json, sys; from comet import load_from_checkpoint; "
            "m = load_from_checkpoint(sys.argv[1] + '/checkpoints/model.ckpt', "
            "local_files_only=True); "
            "r = m.predict(json.loads(sys.argv[2]), batch_size=2, gpus=0, accelerator='cpu', "
            "num_workers=0, progress_bar=False); print('SCORES=' + json.dumps(list(r.scores)))")
    proc = subprocess.run([str(comet_py), "-c", code, str(tiny_comet), json.dumps(ITEMS)],
                          capture_output=True, text=True, cwd=tmp_path, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    line = [x for x in proc.stdout.splitlines() if x.startswith("SCORES=")][-1]
    direct = json.loads(line.removeprefix("SCORES="))
    assert _client(comet_py, tiny_comet, tmp_path).score(ITEMS).scores == direct


def test_worker_stdout_is_exactly_one_json_line(comet_py: Path, tiny_comet: Path,
                                                tmp_path: Path) -> None:
    request = {"model": str(tiny_comet), "batch_size": 4, "gpus": 0, "items": ITEMS[:2]}
    proc = subprocess.run([str(comet_py), str(WORKER)], input=json.dumps(request),
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, lines  # banners ("Encoder model frozen.", Lightning) go to stderr
    assert set(json.loads(lines[0])) >= {"scores", "system_score", "comet_version"}


def test_bad_model_path_names_model_and_interpreter(comet_py: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    missing.mkdir()
    with pytest.raises(CometError) as err:
        _client(comet_py, missing, tmp_path).score(ITEMS[:1])
    msg = str(err.value)
    assert str(missing) in msg and str(comet_py) in msg
    assert "exited with status 1" in msg and "checkpoints/model.ckpt" in msg


def test_load_failure_is_not_retried_in_the_same_run(comet_py: Path, tmp_path: Path) -> None:
    client = _client(comet_py, tmp_path / "absent", tmp_path)
    with pytest.raises(CometError, match="status 1"):
        client.score(ITEMS[:1])
    started = time.perf_counter()
    with pytest.raises(CometError, match="not retried") as err:
        client.score(ITEMS[:1])
    assert time.perf_counter() - started < 0.5  # no second interpreter start
    assert str(tmp_path / "absent") in str(err.value)


def test_scoring_failures_are_retried(tmp_path: Path) -> None:
    """Only a model that cannot load is remembered; a crash while scoring is not."""
    fake = _fake_python(tmp_path, 'print(\'{"error": "OOM", "stage": "score"}\'); sys.exit(1)')
    client = _client(fake, "m", tmp_path)
    for _ in range(2):
        with pytest.raises(CometError, match="status 1: OOM$|status 1: OOM;"):
            client.score(ITEMS[:1])


def _fake_python(tmp_path: Path, body: str) -> Path:
    """An executable that stands in for the COMET interpreter (ignores the worker path)."""
    script = tmp_path / "fake-python"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\n{body}\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("stdout", [
    "print('not json {')",
    "print('Lightning says hello'); print('{\"scores\": [0.5]}')",  # a banner leaked
    "pass",  # nothing at all
])
def test_garbage_stdout_is_a_clear_error(tmp_path: Path, stdout: str) -> None:
    fake = _fake_python(tmp_path, stdout)
    model = tmp_path / "xcomet"  # a local path: the (fake) worker is always started
    with pytest.raises(CometError, match="not a JSON response") as err:
        _client(fake, model, tmp_path).score(ITEMS[:1])
    assert str(model) in str(err.value) and str(fake) in str(err.value)


def test_an_uncached_hub_model_offline_fails_without_starting_the_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline (HF_HUB_OFFLINE, or the hub found unreachable) and not in the hub cache: the
    worker could only fail, after seconds of start-up, so it is not started at all."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    marker = tmp_path / "started"
    fake = _fake_python(tmp_path, f"open({str(marker)!r}, 'w').close()")
    client = _client(fake, "Unbabel/XCOMET-XL", tmp_path)
    for _ in range(2):
        with pytest.raises(CometError, match="HF_HUB_OFFLINE.*not in the local cache"):
            client.score(ITEMS[:1])
    assert not marker.exists(), "the worker must not have been started"
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    with socket.socket() as s:  # online, but the hub does not answer: asked once, no worker
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{s.getsockname()[1]}")
    unreachable = _client(fake, "Unbabel/XCOMET-XL", tmp_path)
    with pytest.raises(CometError, match="cannot be reached .*not in the local cache"):
        unreachable.score(ITEMS[:1])
    assert not marker.exists()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = tmp_path / "hub" / "models--Unbabel--XCOMET-XL" / "snapshots" / ("a" * 40)
    (snapshot / "checkpoints").mkdir(parents=True)
    (snapshot / "checkpoints" / "model.ckpt").write_bytes(b"")
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("a" * 40)
    cached = _client(fake, "Unbabel/XCOMET-XL", tmp_path)  # a new run, the model cached
    with pytest.raises(CometError, match="not a JSON response"):
        cached.score(ITEMS[:1])
    assert marker.exists(), "a cached model is handed to the worker"


def test_nonzero_exit_reports_stderr_tail(tmp_path: Path) -> None:
    fake = _fake_python(tmp_path, "sys.stderr.write('CUDA out of memory\\n'); sys.exit(3)")
    with pytest.raises(CometError, match="status 3: CUDA out of memory"):
        _client(fake, "m", tmp_path).score(ITEMS[:1])
    assert "CUDA out of memory" in (tmp_path / "comet.log").read_text()


@pytest.mark.parametrize("payload", [
    {"scores": [0.5]},  # one score for two items
    {"scores": [0.5, "x"]},
    {"scores": [0.5, float("nan")]},
    {"no_scores": True},
])
def test_malformed_response_is_rejected(tmp_path: Path, payload: dict) -> None:
    fake = _fake_python(tmp_path, f"print({json.dumps(json.dumps(payload))})")
    with pytest.raises(CometError, match="malformed response|not a JSON"):
        _client(fake, "m", tmp_path).score(ITEMS[:2])


def test_missing_interpreter_and_timeout(tmp_path: Path) -> None:
    with pytest.raises(CometError, match="tvbench setup comet"):
        _client(tmp_path / "nope" / "python", "m", tmp_path).score(ITEMS[:1])
    slow = _fake_python(tmp_path, "time.sleep(30)")
    with pytest.raises(CometError, match="no answer after 1s"):
        _client(slow, "m", tmp_path, timeout=1.0).score(ITEMS[:1])


def test_empty_request_is_refused_without_a_subprocess(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        _client(tmp_path / "never-run", "m", tmp_path).score([])


# ------------------------------------------------------------------ comet_from_config
def _config(tmp_path: Path, **comet: object) -> SimpleNamespace:
    return SimpleNamespace(path=str(tmp_path / "tvbench.toml"), comet=comet)


def test_config_without_model_is_not_configured(tmp_path: Path) -> None:
    client, problem = comet_from_config(_config(tmp_path))
    assert client is None and "not configured" in str(problem)


def test_config_missing_interpreter_says_run_setup(tmp_path: Path) -> None:
    client, problem = comet_from_config(_config(tmp_path, python=".venv-comet/bin/python",
                                                model="Unbabel/XCOMET-XL"))
    assert client is None and "tvbench setup comet" in str(problem)
    assert str(tmp_path / ".venv-comet/bin/python") in str(problem)  # relative to the config


def test_config_builds_client_with_paths_resolved(tmp_path: Path) -> None:
    py = _fake_python(tmp_path, "")
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    client, problem = comet_from_config(_config(tmp_path, python="fake-python",
                                                model="models/tiny", batch_size=4, gpus=0,
                                                timeout=60))
    assert problem is None and client is not None
    assert client.python == str(py) and client.model == str(tmp_path / "models" / "tiny")
    assert (client.batch_size, client.gpus, client.timeout) == (4, 0, 60.0)
    hub, _ = comet_from_config(_config(tmp_path, python="fake-python", model="Unbabel/XCOMET-XL"))
    assert hub is not None and hub.model == "Unbabel/XCOMET-XL" and hub.gpus is None


def test_config_rejects_multi_gpu(tmp_path: Path) -> None:
    _fake_python(tmp_path, "")
    client, problem = comet_from_config(_config(tmp_path, python="fake-python", model="m",
                                                gpus=2))
    assert client is None and "0 or 1 GPU" in str(problem)


def test_repository_config_points_at_the_setup_location(comet_py: Path) -> None:
    """tvbench.toml's [comet] python is where `tvbench setup comet` puts the interpreter."""
    from tvbench import config as configuration

    repo = Path(__file__).resolve().parents[2]
    client, problem = comet_from_config(configuration.load(repo / "tvbench.toml"))
    assert problem is None and client is not None
    assert client.python == str(repo / ".venv-comet/bin/python")
