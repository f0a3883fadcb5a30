"""COMET fixtures: the COMET interpreter (required, never skipped) and a tiny checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def comet_python() -> Path:
    """The COMET venv's interpreter; a missing one FAILS the test (CI creates it)."""
    path = Path(os.environ.get("TVBENCH_COMET_PYTHON") or REPO / ".venv-comet/bin/python")
    if not path.is_file():
        pytest.fail(f"COMET interpreter {path} is missing: run `tvbench setup comet` "
                    "(or set TVBENCH_COMET_PYTHON)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def comet_py() -> Path:
    return comet_python()


@pytest.fixture(scope="session")
def tiny_comet(comet_py: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random COMET checkpoint built offline by comet_tiny.py (~5 s)."""
    from tvbench.scorers.comet import build_tiny_checkpoint

    return build_tiny_checkpoint(comet_py, tmp_path_factory.mktemp("comet") / "tiny")
