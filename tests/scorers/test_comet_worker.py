"""The standalone worker and tiny-checkpoint scripts: protocol validation, paths, layout."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tvbench.scorers.comet import WORKER

TINY_BUILDER = Path(__file__).with_name("comet_tiny.py")


def _load(path: Path) -> ModuleType:
    """Import a standalone script by path (it imports nothing heavy at module level)."""
    spec = importlib.util.spec_from_file_location(f"_script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker = _load(WORKER)


def test_scripts_import_nothing_from_tvbench() -> None:
    """They run in the COMET interpreter, where tvbench is not installed."""
    for script in (WORKER, TINY_BUILDER):
        tree = ast.parse(script.read_text())
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in modules if m.split(".")[0] == "tvbench"}, script.name
        assert "comet" in {m.split(".")[0] for m in modules}  # the check sees real imports


@pytest.mark.parametrize("request_,message", [
    ([], "JSON object"),
    ({"items": [{"src": "a", "mt": "b", "ref": "c"}]}, "model"),
    ({"model": "m", "items": []}, "non-empty list"),
    ({"model": "m", "items": [{"src": "a", "mt": "b"}]}, r"items\[0\]"),
    ({"model": "m", "items": [{"src": "a", "mt": 3, "ref": "c"}]}, r"items\[0\]"),
])
def test_validate_rejects_bad_requests(request_: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        worker.validate(request_)


def test_validate_defaults() -> None:
    model, batch, gpus, items = worker.validate(
        {"model": "m", "items": [{"src": "a", "mt": "b", "ref": "c", "extra": 1}]})
    assert (model, batch, gpus) == ("m", 16, 0)
    assert items == [{"src": "a", "mt": "b", "ref": "c"}]


def test_checkpoint_path_for_files_and_folders(tmp_path: Path) -> None:
    ckpt = tmp_path / "m" / "checkpoints" / "model.ckpt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"weights")
    assert worker.checkpoint_path(str(tmp_path / "m")) == (str(ckpt), None)
    assert worker.checkpoint_path(str(ckpt)) == (str(ckpt), None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="checkpoints/model.ckpt"):
        worker.checkpoint_path(str(tmp_path / "empty"))


def test_digest_depends_on_content_and_size(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * 100)
    b.write_bytes(b"x" * 101)
    assert worker.digest(str(a)) == worker.digest(str(a))
    assert worker.digest(str(a)) != worker.digest(str(b))


def test_bad_json_on_stdin_gives_protocol_error(comet_py: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(comet_py), str(WORKER)], input="{not json", text=True,
                          capture_output=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"].startswith("JSONDecodeError")
    assert "Traceback" in proc.stderr


def test_tiny_checkpoint_layout(tiny_comet: Path) -> None:
    hparams = (tiny_comet / "hparams.yaml").read_text()
    assert "class_identifier: regression_metric" in hparams
    assert (tiny_comet / "checkpoints" / "model.ckpt").stat().st_size < 1_000_000
    assert (tiny_comet / "encoder" / "config.json").is_file()
