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
    "report": {"report", "runs", "data", "metrics", "cache"},
    "interop": {"interop", "runs", "data", "tasks", "models", "metrics", "scorers", "registry",
                "config"},
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


# ------------------------------------------------------------------ records are never mutated
#: The only place allowed to write a record's fields: ItemRecord freezing its own values while
#: it is being created.
_RECORD_SELF_FREEZE = ("tvbench/data/record.py", "__post_init__")
_MAPPING_FIELDS = {"metrics", "extra", "provenance", "answer"}
_MUTATORS = {"update", "pop", "popitem", "setdefault", "clear", "append", "extend", "insert",
             "remove", "__setitem__", "__delitem__"}


def _record_fields() -> set[str]:
    import dataclasses

    from tvbench.data.record import ItemRecord

    return {f.name for f in dataclasses.fields(ItemRecord)}


def _record_mutations(path: Path) -> list[str]:
    """Lines of ``path`` that write to a record: ``object.__setattr__``/``setattr``, a field
    assigned on another object, or a record mapping changed in place."""
    fields, rel = _record_fields(), str(path.relative_to(REPO))
    tree = ast.parse(path.read_text())
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef) and (rel, node.name) == _RECORD_SELF_FREEZE):
            allowed.update(id(n) for n in ast.walk(node))

    def mapping_field(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr in _MAPPING_FIELDS

    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        what = None
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "__setattr__":
                what = "__setattr__ call"
            elif isinstance(f, ast.Name) and f.id in ("setattr", "delattr"):
                what = f"{f.id}() call"
            elif isinstance(f, ast.Attribute) and f.attr in _MUTATORS and mapping_field(f.value):
                what = f"in-place .{f.attr}() on a record's {f.value.attr}"
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for t in targets:
                if isinstance(t, ast.Subscript) and mapping_field(t.value):
                    what = f"item write to a record's {t.value.attr}"
                elif (isinstance(t, ast.Attribute) and t.attr in fields
                      and not (isinstance(t.value, ast.Name) and t.value.id == "self")):
                    what = f"assignment to field {t.attr!r} of another object"
        if what:
            found.append(f"{rel}:{node.lineno}: {what}")
    return found


def test_no_module_mutates_a_record_it_did_not_create() -> None:
    """Records change only by making new ones (dataclasses.replace): checked in the source of
    every module, and at run time on a record (frozen, read-only mappings all the way down)."""
    import dataclasses
    from types import MappingProxyType

    from tvbench.data.record import Continuation, ItemRecord

    paths = [*sorted((REPO / "tvbench").rglob("*.py")), *sorted((REPO / "tasks").rglob("*.py"))]
    found = [line for path in paths for line in _record_mutations(path)]
    assert not found, "records must be replaced, never changed:\n" + "\n".join(found)

    given_metrics = {"f1": 0.5}
    rec = ItemRecord(id="1", lang="en", output=(Continuation("a", -1.0, -1.0, 1),),
                     answer={"fields": ["x", {"y": 1}]}, metrics=given_metrics,
                     extra={"judge_reply": "8", "nested": {"a": [1, 2]}},
                     provenance={"judge": "judge[m]"})
    given_metrics["f1"] = 0.0  # the caller's dict is copied, not shared
    assert rec.metrics["f1"] == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.score = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.output[0].total = 0.0  # type: ignore[index,misc]
    for mapping in (rec.metrics, rec.extra, rec.provenance, rec.answer, rec.extra["nested"],
                    rec.answer["fields"][1]):
        assert isinstance(mapping, MappingProxyType)
        with pytest.raises(TypeError):
            mapping["new"] = 1  # type: ignore[index]
    assert isinstance(rec.answer["fields"], tuple) and isinstance(rec.extra["nested"]["a"], tuple)
    changed = dataclasses.replace(rec, metrics={**rec.metrics, "f1": 1.0})
    assert (rec.metrics["f1"], changed.metrics["f1"]) == (0.5, 1.0)
    assert isinstance(changed.metrics, MappingProxyType)
