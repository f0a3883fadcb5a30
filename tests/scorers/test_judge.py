"""The LLM judge: scores, retries with backoff, parse failures, the disk cache, config."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tvbench import config as configuration
from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.data.outputs import Capability, Generation, LogLikelihood
from tvbench.metrics.alm import parse_judge_score
from tvbench.models.base import Adapter, ModelSpec
from tvbench.scorers.judge import (
    NO_JUDGE,
    Judge,
    JudgeCache,
    cache_file,
    entry_identity,
    judge_from_config,
)


class FakeJudgeModel:
    """A deterministic Adapter: replies by a function of the prompt, fails on request.

    ``fail_calls``: how many first ``generate`` calls raise (a transient outage);
    ``item_errors``: prompts whose Generation carries an error on the first N tries.
    """

    capabilities = frozenset({Capability.GENERATE})

    def __init__(self, reply: Callable[[str], str], *, fail_calls: int = 0,
                 item_errors: dict[str, int] | None = None) -> None:
        self.reply = reply
        self.fail_calls = fail_calls
        self.item_errors = dict(item_errors or {})
        self.calls: list[list[str]] = []
        self.closed = False
        self.spec = ModelSpec(name="fake-judge", family="fake", adapter="fake",
                              adapter_version=1, source="fake/judge", revision="r1",
                              dtype="n/a", seen_languages=None)

    def generate(self, inputs: Sequence[ModelInput], settings: GenerationSettings, *,
                 batch_size: int = 1, on_batch: object = None) -> list[Generation]:
        prompts = [i.messages[-1].text for i in inputs]
        self.calls.append(prompts)
        if len(self.calls) <= self.fail_calls:
            raise ConnectionError("judge server unavailable")
        out = []
        for p in prompts:
            if self.item_errors.get(p, 0) > 0:
                self.item_errors[p] -= 1
                out.append(Generation("", 0, "rate limited"))
            else:
                out.append(Generation(self.reply(p), 1))
        return out

    def loglikelihood(self, inputs: Sequence[ModelInput], continuations: Sequence[str], *,
                      batch_size: int = 1, on_batch: object = None) -> list[LogLikelihood]:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


def by_prompt(prompt: str) -> str:
    return {"p-good": "7", "p-ten": "10", "p-garbage": "I cannot rate this."}.get(prompt, "0")


def make(model: FakeJudgeModel, tmp_path: Path, **kw: object
         ) -> tuple[Judge, list[float], list[int]]:
    sleeps: list[float] = []
    loads: list[int] = []

    def load() -> Adapter:
        loads.append(1)
        return model

    judge = Judge("fake/judge@r1", load, cache=JudgeCache(tmp_path / "judge.jsonl"),
                  sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    return judge, sleeps, loads


def test_fake_is_an_adapter() -> None:
    assert isinstance(FakeJudgeModel(by_prompt), Adapter)


def test_scores_and_parse_failure(tmp_path: Path) -> None:
    judge, sleeps, _ = make(FakeJudgeModel(by_prompt), tmp_path)
    verdicts = judge.score(["p-good", "p-ten", "p-garbage", "p-other"], parse_judge_score)
    assert [v.value for v in verdicts] == [7.0, 10.0, None, 0.0]
    garbage = verdicts[2]
    assert garbage.reply == "I cannot rate this." and "not a score" in (garbage.error or "")
    assert [v.error for v in verdicts[:2]] == [None, None]
    assert sleeps == []  # garbage is an item error, not a retry


def test_transient_failure_is_retried_with_backoff(tmp_path: Path) -> None:
    model = FakeJudgeModel(by_prompt, fail_calls=2)
    judge, sleeps, _ = make(model, tmp_path, max_retries=3, backoff_s=0.5)
    verdicts = judge.score(["p-good", "p-ten"], parse_judge_score)
    assert [v.value for v in verdicts] == [7.0, 10.0]
    assert len(model.calls) == 3 and sleeps == [0.5, 1.0]


def test_item_errors_retry_only_those_items(tmp_path: Path) -> None:
    model = FakeJudgeModel(by_prompt, item_errors={"p-ten": 1})
    judge, sleeps, _ = make(model, tmp_path, backoff_s=1.0)
    verdicts = judge.score(["p-good", "p-ten"], parse_judge_score)
    assert [v.value for v in verdicts] == [7.0, 10.0]
    assert model.calls == [["p-good", "p-ten"], ["p-ten"]] and sleeps == [1.0]


def test_exhausted_retries_become_item_errors(tmp_path: Path) -> None:
    model = FakeJudgeModel(by_prompt, fail_calls=10)
    judge, sleeps, _ = make(model, tmp_path, max_retries=2, backoff_s=1.0)
    verdicts = judge.score(["p-good"], parse_judge_score)
    assert verdicts[0].value is None
    assert "failed after 3 attempts" in (verdicts[0].error or "")
    assert "ConnectionError" in (verdicts[0].error or "")
    assert len(model.calls) == 3 and sleeps == [1.0, 2.0]
    assert not (tmp_path / "judge.jsonl").exists()  # failures are never cached


def test_second_run_hits_the_cache(tmp_path: Path) -> None:
    first, _, _ = make(FakeJudgeModel(by_prompt), tmp_path)
    assert [v.value for v in first.score(["p-good", "p-garbage"], parse_judge_score)] == [
        7.0, None]
    again = FakeJudgeModel(lambda p: "3")  # would answer differently if it were asked
    second, _, loads = make(again, tmp_path)
    verdicts = second.score(["p-good", "p-garbage"], parse_judge_score)
    assert [v.value for v in verdicts] == [7.0, None]
    assert all(v.cached for v in verdicts)
    assert again.calls == [] and loads == []  # not called, not even loaded


def test_cache_key_covers_identity_and_prompt(tmp_path: Path) -> None:
    judge, _, _ = make(FakeJudgeModel(by_prompt), tmp_path)
    judge.score(["p-good"], parse_judge_score)
    other = Judge("other/judge@r2", lambda: FakeJudgeModel(lambda p: "2"),
                  cache=JudgeCache(tmp_path / "judge.jsonl"))
    assert other.score(["p-good"], parse_judge_score)[0].value == 2.0
    assert judge.key("p-good") != other.key("p-good") != other.key("p-ten")


def test_torn_cache_line_is_ignored(tmp_path: Path) -> None:
    judge, _, _ = make(FakeJudgeModel(by_prompt), tmp_path)
    judge.score(["p-good"], parse_judge_score)
    with (tmp_path / "judge.jsonl").open("a") as f:
        f.write('{"key": "abc", "repl')
    model = FakeJudgeModel(by_prompt)
    fresh, _, _ = make(model, tmp_path)
    assert [v.value for v in fresh.score(["p-good", "p-ten"], parse_judge_score)] == [7.0, 10.0]
    assert model.calls == [["p-ten"]]


def test_describe_names_model_and_template(tmp_path: Path) -> None:
    judge, _, _ = make(FakeJudgeModel(by_prompt), tmp_path)
    text = judge.describe("abcd1234")
    assert "fake/judge@r1" in text and "tpl:abcd1234" in text and "|" not in text


def test_close_and_negative_retries(tmp_path: Path) -> None:
    model = FakeJudgeModel(by_prompt)
    judge, _, _ = make(model, tmp_path)
    judge.close()
    assert not model.closed  # never loaded, nothing to close
    judge.score(["p-good"], parse_judge_score)
    judge.close()
    assert model.closed
    with pytest.raises(ValueError):
        make(model, tmp_path, max_retries=-1)


# ------------------------------------------------------------------ configuration
TOML = """
[models.judge-hf]
family = "qwen2_5_vl"
path = "Qwen/Qwen2.5-VL-7B-Instruct"
revision = "cc594898137f460bfe9f0759e9844b3ce807cfb5"

[models.judge-api]
backend = "openai"
base_url = "http://127.0.0.1:8000/v1"
model = "gpt-4o-2024-08-06"
"""


def test_no_judge_configured() -> None:
    cfg = configuration.parse(TOML, "tvbench.toml")
    assert judge_from_config(cfg) == (None, NO_JUDGE)


def test_unknown_judge_model_or_bad_retries_is_a_reason() -> None:
    cfg = configuration.parse(TOML + '\n[judge]\nmodel = "judge-hff"\n', "tvbench.toml")
    judge, problem = judge_from_config(cfg)
    assert judge is None and "'judge-hff' is not an entry of [models]" in (problem or "")
    assert "did you mean 'judge-hf'" in (problem or "")
    cfg = configuration.parse(TOML + '\n[judge]\nmodel = "judge-hf"\nmax_retries = -2\n',
                              "tvbench.toml")
    assert judge_from_config(cfg) == (None, "[judge] max_retries = -2: must be 0 or more")


def test_judge_from_config_is_lazy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tvbench.models.registry as registry

    loaded: list[object] = []
    monkeypatch.setattr(registry, "load_adapter",
                        lambda entry, **kw: loaded.append(entry) or FakeJudgeModel(by_prompt))
    text = TOML + '\n[judge]\nmodel = "judge-api"\nmax_retries = 1\ncache = "jc"\n'
    cfg = configuration.parse(text, str(tmp_path / "tvbench.toml"))
    judge, problem = judge_from_config(cfg)
    assert problem is None and judge is not None
    assert loaded == []  # configuring loads nothing
    assert judge.identity == "gpt-4o-2024-08-06@unpinned" and judge.max_retries == 1
    assert judge.cache is not None and judge.cache.path == tmp_path / "jc" / "judge.jsonl"
    assert judge.score(["p-ten"], parse_judge_score)[0].value == 10.0
    assert len(loaded) == 1 and loaded[0] is cfg.models["judge-api"]


def test_identity_and_cache_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = configuration.parse(TOML, "tvbench.toml")
    assert entry_identity(cfg.models["judge-hf"]) == (
        "Qwen/Qwen2.5-VL-7B-Instruct@cc594898137f460bfe9f0759e9844b3ce807cfb5")
    monkeypatch.setenv("TVBENCH_CACHE", str(tmp_path))
    assert cache_file(None, "tvbench.toml") == tmp_path / "judge" / "judge.jsonl"
    assert cache_file("/abs/j.jsonl", "conf/tvbench.toml") == Path("/abs/j.jsonl")
    assert cache_file("j.jsonl", "conf/tvbench.toml") == Path("conf/j.jsonl")
    assert cache_file("j", "<packaged tvbench.toml>") == Path("j/judge.jsonl")
