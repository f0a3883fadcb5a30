"""Everything that can be checked is checked while planning: before a model loads, before a
task runs, before anything is written (a failed plan leaves no results.json behind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench import config
from tvbench.runs.plan import PlanError, build_plan

REPO = Path(__file__).resolve().parents[2]
CFG = config.parse((REPO / "tvbench.toml").read_text())


@pytest.mark.parametrize("flag,kwargs", [
    ("--limit", {"limit": -3}), ("--limit", {"limit": 0}), ("--batch-size", {"batch_size": 0}),
    ("--max-new-tokens", {"max_new_tokens": 0}), ("--check-parity", {"check_parity": -1}),
    ("--threads", {"threads": 0}), ("--max-consecutive-errors", {"max_consecutive_errors": -1}),
])
def test_numeric_flags_out_of_range_are_refused(flag: str, kwargs: dict) -> None:
    value = next(iter(kwargs.values()))
    with pytest.raises(PlanError, match=f"{flag} must be an integer of at least .*got {value}"):
        build_plan(CFG, tasks=["textvqa"], **kwargs)


def test_a_language_the_task_options_cannot_score_is_refused_with_the_way_out() -> None:
    with pytest.raises(PlanError) as err:
        build_plan(CFG, tasks=["alm_bench", "textvqa"], languages=["de", "en", "am", "sw"])
    message = str(err.value)
    assert message.startswith("--languages de,en,am,sw: alm_bench cannot score am, sw (")
    assert "protocol=answer-text or official scores every language" in message
    plan = build_plan(CFG, tasks=["alm_bench"], languages=["de", "am"],
                      task_options=["alm_bench.protocol=answer-text"])
    assert plan.tasks[0].task.config["protocol"] == "answer-text"
    build_plan(CFG, tasks=["alm_bench"], languages="all")  # a preset keeps to what it can


def test_two_names_for_one_model_are_refused_naming_both() -> None:
    with pytest.raises(PlanError, match="--model 'gemma3' and --model 'tiny-gemma3' are the "
                       r"same model \(tiny-gemma3, run folder tiny-gemma3/\)"):
        build_plan(CFG, models=["gemma3", "tiny-gemma3"], tasks=["textvqa"])
    with pytest.raises(PlanError, match="--model 'qwen2_5_vl' is given twice"):
        build_plan(CFG, models=["qwen2_5_vl", "gemma3", "qwen2_5_vl"], tasks=["textvqa"])
    assert len(build_plan(CFG, models=["gemma3", "qwen2_5_vl"], tasks=["textvqa"]).models) == 2


def test_a_task_without_any_of_the_languages_fails_the_plan() -> None:
    with pytest.raises(PlanError) as err:
        build_plan(CFG, languages=["de"])
    message = str(err.value)
    assert "--languages de: tasks textvqa, ocrbench have no data in de" in message
    assert "(textvqa: en; ocrbench: en)" in message
    assert "--tasks alm_bench,multi30k,commute,vimul_bench,cc_ocr" in message
    plan = build_plan(CFG, languages=["de", "en"])  # every task has one of them
    assert plan.models[0].settings.languages == ("de", "en")
    with pytest.raises(PlanError, match="--languages: unknown language 'xx-nope'"):
        build_plan(CFG, tasks=["alm_bench"], languages=["xx-nope"])


def test_run_languages_in_the_config_are_checked_too() -> None:
    cfg = config.parse('[run]\nmodels = ["gemma3"]\ntasks = ["textvqa"]\nlanguages = ["fr"]\n')
    with pytest.raises(PlanError, match="task textvqa has no data in fr"):
        build_plan(cfg)


def _config(text: str) -> config.Config:
    return config.parse(text, "/etc/tvbench.toml")


def test_an_invalid_seen_languages_is_reported_with_file_key_and_line() -> None:
    cfg = _config('[run]\nmodels = ["mine"]\ntasks = ["textvqa"]\n\n[models.mine]\n'
                  'family = "gemma3"\ntiny = true\nseen_languages = ["en", "english!"]\n')
    with pytest.raises(PlanError) as err:
        build_plan(cfg)
    assert str(err.value).startswith("/etc/tvbench.toml:8: key 'models.mine.seen_languages': "
                                     "'english!' is not a BCP-47 language tag")


@pytest.mark.parametrize("body,expected", [
    ('family = "gemma"\npath = "/ckpt"', "/etc/tvbench.toml:3: key 'models.other.family': "
     "unknown model family 'gemma'. Did you mean 'gemma3'?"),
    ('family = "gemma3"',  # a missing key: the entry's header line
     "/etc/tvbench.toml:2: key 'models.other.path': set path (a checkpoint folder or hub id), "
     "or tiny = true"),
    ('backend = "openai"\nmodel = "m"', "/etc/tvbench.toml:2: key 'models.other.base_url': "
     "backend 'openai' needs base_url"),
])
def test_every_model_entry_is_checked_even_when_not_run(body: str, expected: str) -> None:
    cfg = _config(f'# models\n[models.other]\n{body}\n')
    with pytest.raises(PlanError) as err:
        build_plan(cfg, models=["gemma3"], tasks=["textvqa"])
    assert str(err.value).startswith(expected)


# ------------------------------------------------------------------ the user's steps
@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build or load a model fails the test."""
    from tvbench.models import registry

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a model was loaded although the plan was invalid")

    monkeypatch.setattr(registry, "load_adapter", refuse)
    monkeypatch.setattr(registry, "materialize", refuse)


@pytest.mark.parametrize("args,expected", [
    (["--limit", "-3"], "--limit must be an integer of at least 1, got -3"),
    (["--limit", "0"], "--limit must be an integer of at least 1, got 0"),
    (["--languages", "de"], "--languages de: tasks textvqa, ocrbench have no data in de"),
    (["--languages", "af", "--tasks", "alm_bench,textvqa"],
     "--languages af: task textvqa has no data in af"),
    (["--languages", "af", "--tasks", "alm_bench"], "--languages af: alm_bench cannot score af"),
    (["--languages", "af", "--tasks", "alm_bench", "--task-opt", "alm_bench.protocol=official"],
     "task 'alm_bench': its bundled data set has no items in af"),
    (["--model", "gemma3:/no/such/checkpoint"],
     "model 'checkpoint': checkpoint folder '/no/such/checkpoint' does not exist"),
])
def test_a_bad_request_fails_before_any_model_and_writes_nothing(
        cli, no_model: None, args: list[str], expected: str) -> None:
    code, out = cli("run", "--output", "out", *args)
    assert code == 2, out
    assert expected in " ".join(out.split())
    assert not Path("out").exists(), "a plan that fails writes nothing"


def test_a_bad_seen_languages_fails_at_plan_time_naming_file_key_and_line(
        cli, no_model: None) -> None:
    text = Path("tvbench.toml").read_text().replace(
        '[models.tiny-gemma3]\nfamily = "gemma3"\n',
        '[models.tiny-gemma3]\nfamily = "gemma3"\nseen_languages = ["de", "German language"]\n')
    Path("tvbench.toml").write_text(text)
    line = text.splitlines().index('seen_languages = ["de", "German language"]') + 1
    code, out = cli("run", "--model", "tiny-gemma3", "--tasks", "textvqa", "--output", "out")
    assert code == 2, out
    assert f"tvbench.toml:{line}: key 'models.tiny-gemma3.seen_languages'" in out
    assert not Path("out").exists()
