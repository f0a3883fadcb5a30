"""Imports flow one way, importing is free of heavy libraries, and modules stay small."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# package → tvbench packages it may import at run time (typing-only imports are exempt)
ALLOWED = {
    "data": {"data"},
    "metrics": {"metrics", "data"},
    "tasks": {"tasks", "data", "metrics", "registry"},
    "models": {"models", "data", "registry", "cache"},
    "scorers": {"scorers", "data", "models", "metrics", "cache"},
    "runs": {"runs", "data", "tasks", "models", "metrics", "scorers", "registry", "config"},
    "report": {"report", "runs", "data", "metrics"},
    "tvbench_tasks": {"tasks", "data", "metrics", "registry", "scorers"},
}


def _runtime_imports(path: Path) -> set[str]:
    """Top-level tvbench packages imported outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "tvbench" and len(parts) > 1:
                out.add(parts[1])
    return out


def _modules():
    for path in sorted((REPO / "tvbench").rglob("*.py")):
        rel = path.relative_to(REPO / "tvbench").parts
        if len(rel) > 1 and rel[0] in ALLOWED:
            yield rel[0], path
    for path in sorted((REPO / "tasks").rglob("*.py")):
        yield "tvbench_tasks", path


@pytest.mark.parametrize("package,path", list(_modules()),
                         ids=lambda x: str(x.relative_to(REPO)) if isinstance(x, Path) else x)
def test_imports_flow_one_way(package: str, path: Path) -> None:
    bad = _runtime_imports(path) - ALLOWED[package]
    assert not bad, f"{path.relative_to(REPO)} ({package}) must not import tvbench.{bad}"


def test_cli_and_listing_do_not_import_heavy_libraries() -> None:
    code = ("import sys; from tvbench.cli.main import build_parser; build_parser(); "
            "import tvbench.runs.plan, tvbench.tasks.registry, tvbench.config; "
            "print(','.join(m for m in ('torch', 'transformers', 'datasets', 'comet', 'vllm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"imported at start-up: {out}"


def test_listing_models_and_their_sizes_imports_no_heavy_library() -> None:
    code = ("import contextlib, io, sys; from tvbench.cli.main import main; "
            "out = io.StringIO(); ctx = contextlib.redirect_stdout(out); ctx.__enter__(); "
            "rc = main(['--quiet', 'models']); ctx.__exit__(None, None, None); "
            "assert rc == 0 and 'towervideo-9b' in out.getvalue(), out.getvalue(); "
            "print(','.join(m for m in ('torch', 'transformers', 'datasets', 'vllm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO, env={**os.environ, "COLUMNS": "300"}).stdout
    assert out.strip() == "", f"imported by `tvbench models`: {out}"


@pytest.mark.parametrize("path", sorted(p for p in (REPO / "tvbench").rglob("*.py"))
                         + sorted((REPO / "tasks").glob("*.py")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_modules_stay_small_and_named_by_job(path: Path) -> None:
    assert path.name not in {"utils.py", "helpers.py", "misc.py", "common.py"}
    assert len(path.read_text().splitlines()) <= 400, "split this module by job"


# ------------------------------------------------------------ family knowledge in one place
FAMILY_NAMES = frozenset({"towervision", "towervideo", "qwen2_5_vl", "gemma3", "aya_vision"})
FAMILY_HOME = REPO / "tvbench" / "models" / "families"


def _family_names_in_literals(source: str) -> list[tuple[int, str]]:
    """(line, name) for each family name used as a word of a string literal.

    Words are runs of letters, digits, ``_`` and ``-``: ``"vllm:qwen2_5_vl:PATH"`` names a
    family, while derived names such as ``"tiny-gemma3"`` or ``"reports/towervision-paper"``
    do not.
    """
    hits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in re.findall(r"[\w-]+", node.value):
                if word in FAMILY_NAMES:
                    hits.append((node.lineno, word))
    return hits


@pytest.mark.parametrize(
    "path", sorted(p for p in (REPO / "tvbench").rglob("*.py") if FAMILY_HOME not in p.parents),
    ids=lambda p: str(p.relative_to(REPO)))
def test_family_names_appear_only_in_the_family_modules(path: Path) -> None:
    """Backends, CLI, runs and reports read families from the registry and never compare
    names. (``tasks/`` is outside: CC-OCR's "towervision" is a prompt protocol, not a model.)"""
    hits = _family_names_in_literals(path.read_text())
    assert not hits, (f"{path.relative_to(REPO)} names model families {hits}; read them from "
                      "tvbench.models.families instead")


def test_the_family_name_check_can_fail() -> None:
    assert _family_names_in_literals('if family == "qwen2_5_vl":\n    pass\n') == [
        (1, "qwen2_5_vl")]
    assert _family_names_in_literals('x = f"vllm:{a}" + "vllm:gemma3:google/x"') == [
        (1, "gemma3")]
    assert _family_names_in_literals('x = "tiny-towervision"; y = "towervision-paper"') == []
