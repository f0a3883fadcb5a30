"""``tvbench tasks`` and ``tvbench models`` in an 80-column terminal: nothing cut in two."""

from __future__ import annotations

import pytest

from tvbench import config as configuration
from tvbench.cli.listing import short_revision
from tvbench.models.families import FAMILIES, get_family
from tvbench.tasks.registry import TASKS

from .terminal import assert_fits


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_tasks_fit_80_columns(cli, narrow) -> None:
    code, out = cli("tasks")
    assert code == 0, out
    expected = set()
    for name in TASKS.names():
        cls = TASKS.get(name)
        task = cls()
        expected |= {name, task.metrics({})[0].name, cls.hub.repo, f"({cls.hub.split})",
                     f"{len(cls.languages)}:", task.kind}
    assert_fits(out, expected)


def test_models_fit_80_columns(cli, narrow) -> None:
    code, out = cli("models")
    assert code == 0, out
    cfg = configuration.load("tvbench.toml")
    expected = {"tiny (built offline)", "lacks loglikelihood", "loglikelihood", "multi_image"}
    for name in FAMILIES.names():
        spec = get_family(name)
        cls = spec.adapter_class()
        expected |= {name, f"{cls.__name__}@{cls.version}"}
        expected |= {f"{a.name}:" for a in spec.architectures}
    for name, entry in cfg.models.items():
        expected |= {name, entry.path or entry.base_url or "", short_revision(entry.revision)}
    assert_fits(out, expected - {""})


def test_revisions_shorten_like_git_and_names_stay() -> None:
    assert short_revision("46e5810c603a315d59e209fa916631bdebb59789") == "46e5810c"
    assert short_revision("main") == "main" and short_revision(None) == ""
