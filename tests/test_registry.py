"""Third-party tasks and adapters: entry points and extra task folders."""

from __future__ import annotations

import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from tvbench import config
from tvbench.registry import DuplicateNameError, Registry, UnknownNameError, import_task_folder

PLUGIN = textwrap.dedent('''
    from tvbench.tasks.registry import register_task
    from tvbench_tasks.textvqa import TextVQA


    @register_task
    class MyTextVQA(TextVQA):
        """A lab-internal variant, defined outside tvbench."""

        name = "my_textvqa"
        version = 1
''')


@pytest.fixture(autouse=True)
def _restore_task_registry():
    """Tasks registered by a test (plugin folders) must not leak into later tests, whose
    "did you mean" lists would change."""
    import sys

    from tvbench.tasks.registry import TASKS

    specs, sources = dict(TASKS._specs), dict(TASKS._sources)
    modules = set(sys.modules)
    yield
    TASKS._specs.clear()
    TASKS._specs.update(specs)
    TASKS._sources.clear()
    TASKS._sources.update(sources)
    for name in set(sys.modules) - modules:
        if name.startswith("tvbench_extra_tasks."):
            del sys.modules[name]


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


# ---------------------------------------------------------------- duplicate names
def _with_entry_points(monkeypatch, *eps: metadata.EntryPoint) -> None:
    found = metadata.EntryPoints(list(eps))
    monkeypatch.setattr(metadata, "entry_points",
                        lambda group=None: found if group == "tvbench.test" else [])


def test_a_plugin_cannot_take_a_builtin_name(monkeypatch) -> None:
    _with_entry_points(monkeypatch, metadata.EntryPoint(
        name="builtin", value="json:dumps", group="tvbench.test"))
    reg: Registry[object] = Registry("thing", "tvbench.test", {"builtin": "json:loads"})
    with pytest.raises(DuplicateNameError) as info:
        reg.names()
    message = str(info.value)
    assert "thing 'builtin' is registered twice" in message
    assert "built-in json:loads" in message and "entry point builtin = 'json:dumps'" in message


def test_two_plugins_cannot_share_a_name(monkeypatch) -> None:
    _with_entry_points(monkeypatch,
                       metadata.EntryPoint(name="x", value="json:dumps", group="tvbench.test"),
                       metadata.EntryPoint(name="x", value="json:loads", group="tvbench.test"))
    reg: Registry[object] = Registry("thing", "tvbench.test", {})
    with pytest.raises(DuplicateNameError, match="'json:dumps'.*'json:loads'"):
        reg.get("x")


def test_the_same_plugin_found_twice_is_one_entry(monkeypatch) -> None:
    ep = metadata.EntryPoint(name="x", value="json:dumps", group="tvbench.test")
    _with_entry_points(monkeypatch, ep, ep)  # e.g. a package seen on two sys.path entries
    reg: Registry[object] = Registry("thing", "tvbench.test", {"x": "json:dumps"})
    import json

    assert reg.names() == ["x"] and reg.get("x") is json.dumps


def test_register_task_twice_with_different_classes_names_both(monkeypatch) -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.tasks.registry import TASKS, register_task

    monkeypatch.setattr(TASKS, "_specs", dict(TASKS._specs))
    monkeypatch.setattr(TASKS, "_sources", dict(TASKS._sources))

    class First(TextVQA):
        name = "dup_task"

    class Second(TextVQA):
        name = "dup_task"

    assert register_task(First) is First
    assert register_task(First) is First  # the identical class again: a no-op
    with pytest.raises(DuplicateNameError) as info:
        register_task(Second)
    message = str(info.value)
    assert "task 'dup_task' is registered twice" in message
    assert "First" in message and "Second" in message
    assert TASKS.get("dup_task") is First


def test_a_task_cannot_take_a_builtin_task_name(monkeypatch) -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.tasks.registry import TASKS, register_task

    monkeypatch.setattr(TASKS, "_specs", dict(TASKS._specs))
    monkeypatch.setattr(TASKS, "_sources", dict(TASKS._sources))

    class Shadow(TextVQA):
        pass  # inherits name = "textvqa"

    with pytest.raises(DuplicateNameError, match="built-in tvbench_tasks.textvqa:TextVQA"):
        register_task(Shadow)
    assert TASKS.get("textvqa") is TextVQA


def test_a_lazy_builtin_and_its_own_object_are_one_entry() -> None:
    import json

    reg: Registry[object] = Registry("thing", "tvbench.none", {"loads": "json:loads"})
    reg.add("loads", json.loads)  # a module registering itself while a lazy line names it
    assert reg.get("loads") is json.loads
    reg.add("loads", json.loads)
    with pytest.raises(DuplicateNameError, match="'loads' is registered twice"):
        reg.add("loads", json.dumps)
