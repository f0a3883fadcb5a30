"""Shared fixtures: offline environment, tiny checkpoints built once per session, CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# No test may reach the network: the hub libraries must fail fast instead of retrying.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FAMILIES = ("towervision", "qwen2_5_vl", "gemma3", "aya_vision")


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
    """``tiny_adapter(family, batch_size=...)`` → a loaded adapter (cached per arguments)."""
    from tvbench.models.registry import FAMILIES as REGISTRY

    cache: dict[tuple[str, int], object] = {}

    def make(family: str, batch_size: int = 4) -> object:
        key = (family, batch_size)
        if key not in cache:
            cache[key] = REGISTRY.get(family)(str(tiny(family)), batch_size=batch_size)
        return cache[key]

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
