"""Shared fixtures: offline environment, tiny checkpoints built once per session, CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# No test may reach the network: the hub libraries must fail fast instead of retrying.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FAMILIES = ("towervision", "qwen2_5_vl", "gemma3", "aya_vision")
#: Runs in the COMET interpreter and writes a tiny random-weight COMET checkpoint.
COMET_TINY_BUILDER = Path(__file__).parent / "scorers" / "comet_tiny.py"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point tvbench's cache (tiny checkpoints) at a per-session folder."""
    cache = tmp_path_factory.mktemp("tvbench-cache")
    old = os.environ.get("TVBENCH_CACHE")
    os.environ["TVBENCH_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("TVBENCH_CACHE", None)
    else:
        os.environ["TVBENCH_CACHE"] = old


@pytest.fixture(scope="session")
def tiny() -> Callable[[str], Path]:
    """``tiny(family)`` → folder of that family's tiny checkpoint (built once, then cached)."""
    from tvbench.models.tiny import cached_tiny

    return cached_tiny


@pytest.fixture(scope="session")
def tiny_adapter(tiny: Callable[[str], Path]) -> Callable[..., object]:
    """``tiny_adapter(family)`` → a loaded adapter (one per family; the batch size is an
    argument of each call)."""
    from tvbench.models.families import get_family

    cache: dict[str, object] = {}

    def make(family: str) -> object:
        if family not in cache:
            cache[family] = get_family(family).adapter_class()(str(tiny(family)))
        return cache[family]

    return make


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., tuple[int, str]]:
    """Run ``tvbench ARGS`` in-process from a temp working directory; returns (code, output).

    The working directory holds a copy of the repository's tvbench.toml so relative paths
    (runs/, reports/) land in the temp folder.
    """
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from tvbench.cli.main import main

    repo = Path(__file__).resolve().parent.parent
    (tmp_path / "tvbench.toml").write_text((repo / "tvbench.toml").read_text())
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str]:
        buf = io.StringIO()
        with redirect_stdout(buf), redirect_stderr(buf):
            code = main(["--quiet", *args])
        return code, buf.getvalue()

    return run


def comet_python() -> Path:
    """The COMET venv's interpreter; a missing one FAILS the test (CI creates it)."""
    repo = Path(__file__).resolve().parent.parent
    path = Path(os.environ.get("TVBENCH_COMET_PYTHON") or repo / ".venv-comet/bin/python")
    if not path.is_file():
        pytest.fail(f"COMET interpreter {path} is missing: run `tvbench setup comet` "
                    "(or set TVBENCH_COMET_PYTHON)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def comet_py() -> Path:
    return comet_python()


@pytest.fixture(scope="session")
def tiny_comet(comet_py: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random COMET checkpoint built offline by scorers/comet_tiny.py (~5 s, once)."""
    import subprocess

    from tvbench.scorers.comet import _LEAKY_ENV

    out = tmp_path_factory.mktemp("comet") / "tiny"
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env["HF_HUB_OFFLINE"] = "1"
    proc = subprocess.run([str(comet_py), str(COMET_TINY_BUILDER), str(out)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"building a tiny COMET checkpoint failed: {proc.stderr[-2000:]}"
    return out


@pytest.fixture(scope="session")
def tiny_comet_client(comet_py: Path, tiny_comet: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> object:
    """A COMET client scoring with the tiny checkpoint in the real COMET interpreter."""
    from tvbench.scorers.comet import CometClient

    return CometClient(python=str(comet_py), model=str(tiny_comet), batch_size=8, gpus=0,
                       log_path=tmp_path_factory.mktemp("comet-log") / "worker.log")


@dataclass(frozen=True)
class FirstRun:
    """What a new user saw after the README's first command."""

    folder: Path  # the working directory: tvbench.toml, runs/
    returncode: int
    output: str  # stdout and stderr as an 80-column terminal got them


@pytest.fixture(scope="session")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    """``tvbench run`` with no arguments, as a real process in a fresh folder holding the
    repository's tvbench.toml (the offline default: four tiny models × seven tasks, no COMET
    environment, no judge), with COLUMNS=80. Run once per session, shared by the tests of
    what it prints and of the leaderboard it writes."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    folder = tmp_path_factory.mktemp("first-run")
    (folder / "tvbench.toml").write_text((repo / "tvbench.toml").read_text())
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-m", "tvbench", "run"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=1200)
    return FirstRun(folder, proc.returncode, proc.stdout + proc.stderr)
