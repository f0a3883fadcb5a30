"""Third-party tasks and adapters: entry points and extra task folders."""

from __future__ import annotations

import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from tvbench import config
from tvbench.registry import Registry, UnknownNameError, import_task_folder

PLUGIN = textwrap.dedent('''
    from tvbench.tasks.registry import register_task
    from tvbench_tasks.textvqa import TextVQA


    @register_task
    class MyTextVQA(TextVQA):
        """A lab-internal variant, defined outside tvbench."""

        name = "my_textvqa"
        version = 1
''')


def test_an_extra_task_folder_named_in_the_config_registers_its_tasks(cli, tmp_path) -> None:
    folder = tmp_path / "lab_tasks"
    folder.mkdir()
    (folder / "my_task.py").write_text(PLUGIN)
    toml = Path("tvbench.toml")
    toml.write_text('task_paths = ["lab_tasks"]\n' + toml.read_text().replace(
        "task_paths = []\n", ""))
    code, out = cli("tasks")
    assert code == 0 and "my_textvqa" in out
    code, out = cli("run", "--model", "gemma3", "--tasks", "my_textvqa", "--output", "o",
                    "--no-report")
    assert code == 0, out
    assert Path("o/tiny-gemma3/records/my_textvqa.jsonl").is_file()


def test_a_missing_task_folder_is_named(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        import_task_folder(tmp_path / "no_such_folder")


def test_entry_points_extend_a_registry(monkeypatch) -> None:
    eps = metadata.EntryPoints([metadata.EntryPoint(
        name="json_dumps", value="json:dumps", group="tvbench.test")])
    monkeypatch.setattr(metadata, "entry_points",
                        lambda group=None: eps if group == "tvbench.test" else [])
    reg: Registry[object] = Registry("thing", "tvbench.test", {"builtin": "json:loads"})
    assert reg.names() == ["builtin", "json_dumps"]
    import json

    assert reg.get("json_dumps") is json.dumps
    with pytest.raises(UnknownNameError, match="Did you mean 'json_dumps'"):
        reg.get("json_dump")


def test_config_relative_task_paths_resolve_against_the_config_file(tmp_path) -> None:
    cfg = config.parse('task_paths = ["extra"]\n', str(tmp_path / "tvbench.toml"))
    assert cfg.task_paths == (tmp_path / "extra",)
