"""A rerun with nothing left to generate constructs no adapter: stored outputs are rescored and
the reports refreshed. A rerun with something left loads the model, and only then."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tvbench.models.registry import ModelEntry, materialize
from tvbench.runs.lazy import stored_spec
from tvbench.runs.store import RunFolder

ARGS = ("run", "--model", "gemma3", "--tasks", "textvqa,ocrbench", "--output", "o")


@pytest.fixture
def constructed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of every adapter constructed from now on (through any path)."""
    from tvbench.models.hf import HFAdapter

    made: list[str] = []
    real = HFAdapter.__init__

    def counting(self, source, **kw):  # type: ignore[no-untyped-def]
        made.append(str(kw.get("name") or source))
        real(self, source, **kw)

    monkeypatch.setattr(HFAdapter, "__init__", counting)
    return made


def _tasks(path: str = "o/tiny-gemma3/results.json") -> dict:
    return json.loads(Path(path).read_text())["tasks"]


def test_a_rerun_with_nothing_to_generate_constructs_no_adapter(cli, constructed) -> None:
    code, out = cli(*ARGS)
    assert code == 0, out
    assert constructed == ["tiny-gemma3"]
    first = _tasks()
    run_block = json.loads(Path("o/tiny-gemma3/results.json").read_text())["run"]
    written = Path("o/tiny-gemma3/results.json").stat().st_ino
    for report in ("o/leaderboard.md", "o/leaderboard.html"):
        Path(report).unlink()

    code, out = cli(*ARGS)

    assert code == 0, out
    assert constructed == ["tiny-gemma3"], "the second run constructed an adapter"
    assert "resuming, 12/12 items done" in out and "resuming, 20/20 items done" in out
    assert _tasks() == first, "stored outputs rescored to the same results"
    again = json.loads(Path("o/tiny-gemma3/results.json").read_text())["run"]
    assert again == run_block and again["device"] == "cpu", "where the outputs were made"
    assert Path("o/tiny-gemma3/results.json").stat().st_ino == written, "same results rewritten"
    assert Path("o/leaderboard.md").is_file() and Path("o/leaderboard.html").is_file()


def test_a_new_task_or_retried_errors_load_the_model_then(cli, constructed) -> None:
    assert cli(*ARGS)[0] == 0
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvqa,ocrbench,cc_ocr,commute",
                    "--output", "o")
    assert code == 0, out
    assert constructed == ["tiny-gemma3", "tiny-gemma3"]
    assert set(_tasks()) == {"textvqa", "ocrbench", "cc_ocr", "commute"}

    path = Path("o/tiny-gemma3/records/textvqa.jsonl")
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    rows[0] = {**rows[0], "output": None, "answer": None, "score": None, "error": "HTTP 500"}
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o",
                    "--retry-errors")
    assert code == 0, out
    assert len(constructed) == 3 and _tasks()["textvqa"]["n_errors"] == 0


def test_declared_languages_come_from_the_entry_as_it_is_now(cli, constructed) -> None:
    assert cli("run", "--model", "tiny-gemma3", "--tasks", "textvqa", "--output", "o")[0] == 0
    assert _tasks()["textvqa"]["languages"]["en"]["unseen"] is None  # Gemma 3 declares none
    text = Path("tvbench.toml").read_text().replace(
        '[models.tiny-gemma3]\nfamily = "gemma3"\n',
        '[models.tiny-gemma3]\nfamily = "gemma3"\nseen_languages = ["de"]\n')
    Path("tvbench.toml").write_text(text)
    code, out = cli("run", "--model", "tiny-gemma3", "--tasks", "textvqa", "--output", "o")
    assert code == 0, out
    assert len(constructed) == 1
    assert _tasks()["textvqa"]["languages"]["en"]["unseen"] is True


def test_stored_spec_only_when_the_folder_holds_this_very_model(cli, tmp_path: Path) -> None:
    assert cli("run", "--model", "gemma3", "--tasks", "textvqa", "--output", "o")[0] == 0
    folder = RunFolder(Path("o/tiny-gemma3"))
    entry = materialize(ModelEntry(name="tiny-gemma3", family="gemma3", tiny=True))
    spec = stored_spec(folder, entry)
    assert spec is not None and spec.source == entry.path and spec.name == "tiny-gemma3"
    assert stored_spec(folder, entry, dtype="float32") is not None  # what auto made on CPU
    assert stored_spec(folder, entry, dtype="bfloat16") is None
    assert stored_spec(folder, replace(entry, max_frames=8)) is None
    assert stored_spec(folder, replace(entry, processor_kwargs={"do_pan_and_scan": True})) is None
    other = materialize(ModelEntry(name="x", family="qwen2_5_vl", tiny=True))
    assert stored_spec(folder, replace(other, name="tiny-gemma3")) is None
    assert stored_spec(folder, replace(entry, path="org/model", revision="a" * 40)) is None
    assert stored_spec(RunFolder(tmp_path / "empty"), entry) is None


def test_the_lazy_adapter_loads_on_first_use_and_refuses_another_model() -> None:
    from tvbench.data.inputs import GenerationSettings, ModelInput
    from tvbench.runs.lazy import LazyAdapter
    from tvbench.runs.store import RunFolderError

    from .fakes import FakeAdapter

    loads: list[int] = []

    def load() -> FakeAdapter:
        loads.append(1)
        return FakeAdapter()

    stored = FakeAdapter().spec
    lazy = LazyAdapter(load, stored, FakeAdapter.capabilities, "o/fake")
    assert lazy.spec == stored and not lazy.loaded and loads == []
    lazy.generate([ModelInput.user("hi")], GenerationSettings(max_new_tokens=4))
    assert lazy.loaded and loads == [1]

    other = replace(stored, revision="r2")
    wrong = LazyAdapter(load, other, FakeAdapter.capabilities, "o/fake")
    with pytest.raises(RunFolderError, match="o/fake holds a run of fake/fake@r2"):
        wrong.generate([ModelInput.user("hi")], GenerationSettings(max_new_tokens=4))


def test_a_resume_with_a_token_budget_hands_it_to_the_loaded_model(cli, constructed) -> None:
    """The stand-in passed ``--batch-tokens`` on as the runner gives it (it raised a
    TypeError on the first new item)."""
    assert cli("run", "--model", "gemma3", "--tasks", "textvqa,commute", "--limit", "2",
               "--batch-tokens", "4000", "--output", "o")[0] == 0
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvqa,commute", "--limit", "3",
                    "--batch-tokens", "4000", "--output", "o")
    assert code == 0, out
    assert len(constructed) == 2  # the second run had new items, so it loaded the model
    assert _tasks()["textvqa"]["n"] == 3 and _tasks()["commute"]["n_errors"] == 0


@pytest.mark.parametrize("method", ["generate", "loglikelihood"])
def test_the_stand_in_takes_every_keyword_of_the_adapter_protocol(method: str) -> None:
    import inspect

    from tvbench.models.base import Adapter
    from tvbench.runs.lazy import LazyAdapter

    def keywords(fn: object) -> set[str]:
        return {p.name for p in inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
                if p.kind is inspect.Parameter.KEYWORD_ONLY}

    assert keywords(getattr(LazyAdapter, method)) == keywords(getattr(Adapter, method))
