"""Planning: names, data sources and options are checked before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench import config
from tvbench.models.base import CapabilityError
from tvbench.registry import UnknownNameError
from tvbench.runs.plan import PlanError, build_plan, parse_task_options
from tvbench.tasks.base import TaskOptionError

CFG = config.parse((Path(__file__).resolve().parents[2] / "tvbench.toml").read_text())


def test_default_plan_is_the_offline_one() -> None:
    plan = build_plan(CFG, tasks=["textvqa"])
    assert [m.entry.name for m in plan.models] == list(CFG.run.models)
    assert plan.data_mode == "bundled"
    assert plan.tasks[0].source == plan.tasks[0].task.bundled_source()
    assert build_plan(CFG, tasks=["textvqa"], data=["samples"]).data_mode == "bundled"


def test_generation_caps_are_resolved_per_model_once() -> None:
    """A model entry's cap applies unless --max-new-tokens overrides it."""
    plan = build_plan(CFG, models=["tiny-gemma3", "gemma-3-4b"], tasks=["textvqa"])
    assert [m.settings.max_new_tokens for m in plan.models] == [16, None]
    plan = build_plan(CFG, models=["tiny-gemma3", "gemma-3-4b"], tasks=["textvqa"],
                      max_new_tokens=12, batch_size=3)
    assert [m.settings.max_new_tokens for m in plan.models] == [12, 12]
    assert [m.settings.batch_size for m in plan.models] == [3, 3]


def test_hub_data_and_local_overrides(tmp_path: Path) -> None:
    plan = build_plan(CFG, models=["gemma3"], tasks=["textvqa"], data=["hub"])
    assert plan.tasks[0].source.describe().startswith("hf:lmms-lab/textvqa@9c0699cd1976")
    plan = build_plan(CFG, models=["gemma3"], tasks=["textvqa"], data=[f"textvqa={tmp_path}"])
    assert plan.tasks[0].source.describe() == f"local:{tmp_path.name}:validation"
    with pytest.raises(PlanError, match="does not exist"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"], data=["textvqa=/no/such/dir"])
    with pytest.raises(PlanError, match="not in this run"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"], data=[f"ocrbench={tmp_path}"])


def test_unknown_task_suggests_names() -> None:
    with pytest.raises(UnknownNameError, match="textvqa"):
        build_plan(CFG, models=["gemma3"], tasks=["textvq"])


def test_task_options_are_validated() -> None:
    plan = build_plan(CFG, models=["gemma3"], tasks=["textvqa"],
                      task_options=["textvqa.normaliser=evalai-clean", "textvqa.ocr_tokens=true"])
    assert plan.tasks[0].task.config == {"normaliser": "evalai-clean", "ocr_tokens": True,
                                         "protocol": "paper"}
    with pytest.raises(TaskOptionError, match="normaliser"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"], task_options=["textvqa.normalizer=x"])
    with pytest.raises(TaskOptionError, match="is not one of"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"],
                   task_options=["textvqa.normaliser=lower"])
    assert parse_task_options(["a.b=1", "a.c=word", "a.d=\"q\""]) == {"a": {"b": 1, "c": "word",
                                                                         "d": "q"}}


def test_a_loglikelihood_task_is_refused_for_an_http_model_at_plan_time() -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.data.outputs import Capability
    from tvbench.runs.runner import check_capabilities

    class NeedsScores(TextVQA):
        kind = "loglikelihood"

    with pytest.raises(CapabilityError, match="loglikelihood"):
        check_capabilities(frozenset({Capability.GENERATE, Capability.IMAGE}), [NeedsScores()],
                           "served")


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(PlanError, match="batch-size"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"], batch_size=-1)


def test_language_presets_and_the_error_policy() -> None:
    """``--languages paper`` is the default; ``all`` and code lists are kept as given; a
    preset cannot be mixed with codes; ``--exclude-errors`` and ``[run]`` set the policy."""
    plan = build_plan(CFG, models=["gemma3"], tasks=["cc_ocr"])
    assert plan.models[0].settings.languages == "paper"
    assert not plan.models[0].settings.exclude_errors
    assert build_plan(CFG, models=["gemma3"], tasks=["cc_ocr"], languages=["all"]
                      ).models[0].settings.languages == "all"
    assert build_plan(CFG, models=["gemma3"], tasks=["cc_ocr"], languages=["DE", "fr"]
                      ).models[0].settings.languages == ("de", "fr")
    with pytest.raises(PlanError, match="preset"):
        build_plan(CFG, models=["gemma3"], tasks=["cc_ocr"], languages=["paper", "de"])
    assert build_plan(CFG, models=["gemma3"], tasks=["cc_ocr"], exclude_errors=True
                      ).models[0].settings.exclude_errors
    text = (Path(__file__).resolve().parents[2] / "tvbench.toml").read_text()
    cfg = config.parse(text.replace('languages = "paper"', 'languages = "all"').replace(
        "exclude_errors = false", "exclude_errors = true"))
    plan = build_plan(cfg, models=["gemma3"], tasks=["cc_ocr"])
    assert plan.models[0].settings.languages == "all"
    assert plan.models[0].settings.exclude_errors
    with pytest.raises(config.ConfigError, match="languages"):
        config.parse(text.replace('languages = "paper"', 'languages = "some"'))


def test_throughput_flags_reach_the_settings_and_the_model_entries() -> None:
    plan = build_plan(CFG, models=["gemma3", "random:qwen2_5_vl-small"], tasks=["textvqa"],
                      batch_tokens=4096, compile="inductor", batch_invariant=True)
    assert all(m.settings.batch_tokens == 4096 for m in plan.models)
    assert all(m.entry.compile == "inductor" and m.entry.batch_invariant for m in plan.models)
    assert plan.models[1].entry.path == "random:qwen2_5_vl-small"
    plain = build_plan(CFG, models=["gemma3"], tasks=["textvqa"])
    assert plain.models[0].settings.batch_tokens is None
    assert plain.models[0].entry.compile is None and not plain.models[0].entry.batch_invariant
    with pytest.raises(PlanError, match="batch-tokens"):
        build_plan(CFG, models=["gemma3"], tasks=["textvqa"], batch_tokens=0)
