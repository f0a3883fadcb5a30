"""``tvbench setup comet``: idempotent creation of the COMET environment."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pytest

from tvbench.cli import setup_cmd
from tvbench.cli.setup_cmd import (
    COMET_SPEC,
    SETUPTOOLS_SPEC,
    TORCH_SPEC,
    SetupError,
    setup_comet,
    torch_requirement,
)

REPO = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tvbench")
    setup_cmd.add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_parser_defaults_and_overrides() -> None:
    args = _parser().parse_args(["setup", "comet"])
    # no --dir: the environment goes where tvbench.toml's [comet] python points
    assert (args.what, args.dir, args.torch, args.python) == ("comet", None, TORCH_SPEC, None)
    assert args.func is setup_cmd.cmd_setup_comet
    args = _parser().parse_args(["setup", "comet", "--python", "/usr/bin/python3", "--dir",
                                 "envs/comet", "--torch", "torch==2.14.1"])
    assert (args.python, args.dir, args.torch) == ("/usr/bin/python3", "envs/comet",
                                                   "torch==2.14.1")
    with pytest.raises(SystemExit):
        _parser().parse_args(["setup"])  # WHAT is required


@pytest.mark.parametrize("spec,expected", [
    ("torch==2.13.0", "torch==2.13.0"), ("2.14.1", "torch==2.14.1"),
    (" torch>=2.4,<3 ", "torch>=2.4,<3"),
])
def test_torch_requirement(spec: str, expected: str) -> None:
    assert torch_requirement(spec) == expected


def test_torch_requirement_rejects_other_packages() -> None:
    with pytest.raises(SetupError, match="torch requirement"):
        torch_requirement("numpy==1.26")


class FakeShell:
    """Records commands; `venv` creates the interpreter file, pip 'installs' comet."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self.installed = False
        self.pip_works = True

    def run(self, cmd: list[str], say: object) -> None:
        self.commands.append(cmd)
        if cmd[1:3] == ["-m", "venv"]:
            py = Path(cmd[3]) / "bin" / "python"
            py.parent.mkdir(parents=True)
            py.write_text("")
        if "pip" in cmd:
            self.installed = self.pip_works

    def probe(self, python: Path) -> dict[str, str] | None:
        if not self.installed:
            return None
        return {"comet": "2.2.7", "torch": "2.13.0+cpu", "transformers": "4.57.6"}


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> FakeShell:
    fake = FakeShell()
    monkeypatch.setattr(setup_cmd, "_run", fake.run)
    monkeypatch.setattr(setup_cmd, "_probe", fake.probe)
    return fake


def test_creates_installs_verifies_then_is_a_no_op(tmp_path: Path, shell: FakeShell) -> None:
    lines: list[str] = []
    py = setup_comet(python="/opt/py311/bin/python", directory=tmp_path / "env",
                     say=lines.append)
    assert py == tmp_path / "env" / "bin" / "python"
    assert shell.commands[0] == ["/opt/py311/bin/python", "-m", "venv", str(tmp_path / "env")]
    assert shell.commands[1] == [str(py), "-m", "pip", "install", "--quiet", TORCH_SPEC,
                                 COMET_SPEC, SETUPTOOLS_SPEC]
    marker = json.loads((tmp_path / "env" / setup_cmd.MARKER).read_text())
    assert marker["requirements"] == [TORCH_SPEC, COMET_SPEC, SETUPTOOLS_SPEC]
    assert any("ready" in x for x in lines)

    lines.clear()
    setup_comet(directory=tmp_path / "env", say=lines.append)
    assert len(shell.commands) == 2  # nothing ran the second time
    assert "already set up" in lines[-1] and "nothing to do" in lines[-1]


def test_changed_torch_spec_reinstalls_into_the_same_env(tmp_path: Path,
                                                         shell: FakeShell) -> None:
    setup_comet(directory=tmp_path / "env", say=lambda _m: None)
    setup_comet(directory=tmp_path / "env", torch="2.14.1", say=lambda _m: None)
    assert [c[1:3] for c in shell.commands] == [["-m", "venv"], ["-m", "pip"], ["-m", "pip"]]
    assert "torch==2.14.1" in shell.commands[-1]


def test_broken_env_is_repaired_not_trusted(tmp_path: Path, shell: FakeShell) -> None:
    setup_comet(directory=tmp_path / "env", say=lambda _m: None)
    shell.installed = False  # e.g. someone uninstalled comet: the probe now fails
    setup_comet(directory=tmp_path / "env", say=lambda _m: None)
    assert [c[1:3] for c in shell.commands] == [["-m", "venv"], ["-m", "pip"], ["-m", "pip"]]


def test_install_that_does_not_import_is_an_error(tmp_path: Path, shell: FakeShell) -> None:
    shell.pip_works = False
    with pytest.raises(SetupError, match="cannot `import comet`"):
        setup_comet(directory=tmp_path / "env", say=lambda _m: None)
    assert not (tmp_path / "env" / setup_cmd.MARKER).exists()


def test_setup_and_scoring_agree_on_the_place_from_another_directory(
        tmp_path: Path, shell: FakeShell, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project's tvbench.toml names `.venv-comet/bin/python`; run from elsewhere with
    --config, setup creates it next to the file and scoring finds it there, never in the
    working directory."""
    from tvbench import config as configuration
    from tvbench.cli.main import main
    from tvbench.scorers.comet import comet_from_config

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "tvbench.toml").write_text((REPO / "tvbench.toml").read_text())
    monkeypatch.chdir(elsewhere)
    config = "../project/tvbench.toml"  # relative to the working directory, as typed
    assert main(["--config", config, "setup", "comet"]) == 0
    made = project / ".venv-comet" / "bin" / "python"
    assert shell.commands[0][-1] == str(project / ".venv-comet") and made.is_file()
    assert not (elsewhere / ".venv-comet").exists()
    client, problem = comet_from_config(configuration.load(config))
    assert problem is None and client is not None and client.python == str(made)


def test_a_dir_elsewhere_says_how_to_point_the_config_at_it(
        tmp_path: Path, shell: FakeShell, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tvbench.cli.main import main

    (tmp_path / "tvbench.toml").write_text((REPO / "tvbench.toml").read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["setup", "comet", "--dir", "envs/comet"]) == 0
    out = capsys.readouterr().out
    assert f"points at {tmp_path / '.venv-comet' / 'bin' / 'python'}" in out
    assert f"set it to {tmp_path / 'envs' / 'comet' / 'bin' / 'python'}" in out


def test_failing_command_names_it() -> None:
    with pytest.raises(SetupError, match="exit code 4") as err:
        setup_cmd._run([sys.executable, "-c", "import sys; print('boom'); sys.exit(4)"],
                       lambda _m: None)
    assert "boom" in str(err.value)


def test_real_environment_is_set_up_and_rerun_is_quick(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """The repository's .venv-comet (CI creates it): a second setup installs nothing."""
    env = REPO / ".venv-comet"
    if not (env / "bin" / "python").is_file():
        pytest.fail(f"{env} is missing: run `tvbench setup comet`", pytrace=False)

    def no_commands(cmd: list[str], say: object) -> None:
        raise AssertionError(f"setup ran {cmd} although the environment is ready")

    monkeypatch.setattr(setup_cmd, "_run", no_commands)
    lines: list[str] = []
    started = time.perf_counter()
    setup_comet(directory=env, say=lines.append)
    assert "already set up (unbabel-comet 2.2.7" in lines[-1]
    assert time.perf_counter() - started < 60
