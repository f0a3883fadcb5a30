"""tvbench.toml validation: every error names the file, the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench import config
from tvbench.config import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_the_shipped_config_is_valid_and_complete() -> None:
    cfg = config.parse((REPO / "tvbench.toml").read_text(), "tvbench.toml")
    assert len(cfg.run.models) == 4 and len(cfg.run.tasks) == 7
    for name in cfg.run.models:
        assert cfg.models[name].tiny and cfg.models[name].max_new_tokens
    paper = {"towervision-2b", "towervision-9b", "qwen2.5-vl-3b", "qwen2.5-vl-7b", "gemma-3-4b",
             "gemma-3-12b", "aya-vision-8b"}
    assert paper <= set(cfg.models)
    pinned = [n for n in paper if len(cfg.models[n].revision or "") == 40]
    assert len(pinned) >= 6  # aya-vision-8b has no verified commit yet (see tvbench.toml)


def test_the_packaged_copy_is_the_same_file() -> None:
    """One tvbench.toml: the package's copy is a link to the repository's, byte for byte.

    A checkout without symlink support turns the link into a file holding its target's
    path; that, or any edit to one copy, fails here. The built wheel's copy is compared in
    tests/test_packaging.py.
    """
    from importlib import resources

    repo_copy = (REPO / "tvbench.toml").read_bytes()
    assert (REPO / "tvbench" / "tvbench.toml").read_bytes() == repo_copy
    assert resources.files("tvbench").joinpath("tvbench.toml").read_bytes() == repo_copy


@pytest.mark.parametrize("text,key,line,fragment", [
    ("[run]\nbatch_size = 8\nbatch_sise = 4\n", "run.batch_sise", 3, "Did you mean 'batch_size'"),
    ("[run]\nbatch_size = \"eight\"\n", "run.batch_size", 2, "expected int"),
    ("[run]\nbatch_size = true\n", "run.batch_size", 2, "expected int"),
    ("[run]\ndata = \"cloud\"\n", "run.data", 2, "expected 'bundled' or 'hub'"),
    ("\n[models.x]\nfamily = \"gemma3\"\nbakend = \"hf\"\n", "models.x.bakend", 4,
     "Did you mean 'backend'"),
    ("[models.x]\nbackend = \"grpc\"\n", "models.x.backend", 2, "unknown backend"),
    ("[gate]\nmax_drop = \"1\"\n", "gate.max_drop", 2, "expected int or float"),
    ("[gate.tasks.textvqa]\nmin_scor = 3\n", "gate.tasks.textvqa.min_scor", 2, "min_score"),
    ("[run\nmodels = []\n", "(syntax)", 1, "Expected"),
    ("[comet]\npython = 3\n", "comet.python", 2, "expected str"),
])
def test_errors_name_file_key_and_line(text: str, key: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.parse(text, "my/tvbench.toml")
    err = info.value
    assert (err.path, err.key, err.line) == ("my/tvbench.toml", key, line)
    assert str(err).startswith(f"my/tvbench.toml:{line}: key '{key}'")
    assert fragment in str(err)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml"):
        config.load(tmp_path / "nope.toml")


# ------------------------------------------------------------------ model entries, key by key
def test_every_model_entry_field_has_a_checked_key() -> None:
    """A field added to ModelEntry must get a type (and rule) in MODEL_KEYS, and vice versa."""
    from dataclasses import fields

    from tvbench.models.registry import ModelEntry

    assert set(config.MODEL_KEYS) == {f.name for f in fields(ModelEntry)} - {"name"}


# (key, TOML value of the wrong type or out of range, fragment of the message)
MODEL_KEY_ERRORS = [
    ("backend", "3", "expected str"),
    ("family", "3", "expected str"),
    ("path", "[\"a\"]", "expected str"),
    ("revision", "40", "expected str"),
    ("tiny", "\"yes\"", "expected bool"),
    ("tiny", "1", "expected bool"),
    ("seen_languages", "\"en\"", "expected list"),
    ("seen_languages", "[\"en\", 3]", "expected a list of str"),
    ("dtype", "16", "expected str"),
    ("device_map", "{ \"\" = 0 }", "expected str"),
    ("attn_implementation", "true", "expected str"),
    ("trust_remote_code", "\"true\"", "expected bool"),
    ("max_frames", "\"32\"", "expected int"),
    ("max_frames", "0", "must be at least 1"),
    ("max_new_tokens", "1.5", "expected int"),
    ("max_new_tokens", "0", "must be at least 1"),
    ("processor_kwargs", "\"max_pixels=10\"", "expected dict"),
    ("compile", "true", "expected str"),
    ("batch_invariant", "\"yes\"", "expected bool"),
    ("base_url", "8000", "expected str"),
    ("base_url", "\"127.0.0.1:8000/v1\"", "http:// or https://"),
    ("model", "false", "expected str"),
    ("api_key_env", "1", "expected str"),
    ("concurrency", "\"8\"", "expected int"),
    ("concurrency", "true", "expected int"),
    ("concurrency", "0", "must be at least 1"),
    ("timeout", "\"120\"", "expected int or float"),
    ("timeout", "0", "must be greater than 0"),
    ("max_retries", "2.0", "expected int"),
    ("max_retries", "-1", "must be at least 0"),
    ("tensor_parallel_size", "\"2\"", "expected int"),
    ("tensor_parallel_size", "0", "must be at least 1"),
    ("gpu_memory_utilization", "\"0.9\"", "expected int or float"),
    ("gpu_memory_utilization", "1.5", "must be in (0, 1]"),
    ("gpu_memory_utilization", "0", "must be in (0, 1]"),
]


def test_the_error_table_covers_every_model_key() -> None:
    assert {key for key, _, _ in MODEL_KEY_ERRORS} == set(config.MODEL_KEYS)


@pytest.mark.parametrize("key,value,fragment", MODEL_KEY_ERRORS,
                         ids=[f"{k}={v}" for k, v, _ in MODEL_KEY_ERRORS])
def test_bad_model_values_name_key_and_line(key: str, value: str, fragment: str) -> None:
    text = f"# models\n\n[models.m]\nfamily = \"gemma3\"\n{key} = {value}\n"
    if key == "family":
        text = f"# models\n\n[models.m]\npath = \"x\"\n{key} = {value}\n"
    with pytest.raises(ConfigError) as info:
        config.parse(text, "my/tvbench.toml")
    err = info.value
    assert (err.path, err.key, err.line) == ("my/tvbench.toml", f"models.m.{key}", 5)
    assert fragment in str(err)


def test_good_model_values_reach_the_entry() -> None:
    cfg = config.parse(
        '[models.m]\nbackend = "openai"\nbase_url = "https://api.example/v1"\nmodel = "x"\n'
        'api_key_env = "KEY"\nconcurrency = 4\ntimeout = 30\nmax_retries = 0\n'
        '[models.v]\nbackend = "vllm"\nfamily = "qwen2_5_vl"\npath = "Q/Q"\n'
        'tensor_parallel_size = 2\ngpu_memory_utilization = 1\ndevice_map = "auto"\n'
        'attn_implementation = "sdpa"\nseen_languages = ["en", "de"]\n'
        'processor_kwargs = { max_pixels = 1024 }\n')
    m, v = cfg.models["m"], cfg.models["v"]
    assert (m.concurrency, m.timeout, m.max_retries, m.base_url) == (4, 30, 0,
                                                                     "https://api.example/v1")
    assert (v.tensor_parallel_size, v.gpu_memory_utilization, v.device_map) == (2, 1, "auto")
    assert v.seen_languages == ("en", "de") and v.processor_kwargs == {"max_pixels": 1024}


# ------------------------------------------------- tables keyed by names, the run table's lists
@pytest.mark.parametrize("text,key,line,fragment", [
    ("models = 3\n", "models", 1, "expected dict"),
    ("[models]\nm = 3\n", "models.m", 2, "expected a table ([models.m])"),
    ('[models.""]\nfamily = "gemma3"\n', "models.", 1, "must not be empty"),
    ("[tasks]\ntextvqa = \"evalai\"\n", "tasks.textvqa", 2, "expected a table"),
    ("[tasks.textvqa]\ndata = 3\n", "tasks.textvqa.data", 2, "expected str"),
    ("[gate.tasks]\ntextvqa = 1\n", "gate.tasks.textvqa", 2, "expected a table"),
    ("[run]\nmodels = \"tiny-gemma3\"\n", "run.models", 2, "expected list"),
    ("[run]\nlanguages = [\"de\", 1]\n", "run.languages", 2, "expected a list of str"),
    ("[run]\nbatch_size = 0\n", "run.batch_size", 2, "must be at least 1"),
    ("[run]\nlimit = 0\n", "run.limit", 2, "must be at least 1"),
    ("[run]\ncheck_parity = -1\n", "run.check_parity", 2, "must be at least 0"),
    ("[run]\nbatch_tokens = 0\n", "run.batch_tokens", 2, "must be at least 1"),
    ("task_paths = [\"a\", 2]\n", "task_paths", 1, "expected a list of str"),
])
def test_named_tables_and_lists(text: str, key: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.parse(text, "my/tvbench.toml")
    assert (info.value.key, info.value.line) == (key, line)
    assert fragment in str(info.value)


# ------------------------------------------------------------- task options, checked at plan time
@pytest.mark.parametrize("table,key,line,fragment", [
    ('[tasks.textvqa]\ndata = "/d"\nnormaliser = "lower"\n', "tasks.textvqa.normaliser", 3,
     "is not one of"),
    ('[tasks.textvqa]\nnormalizer = "evalai"\n', "tasks.textvqa.normalizer", 2,
     "Did you mean 'normaliser'"),
    ('[tasks.cc_ocr]\ntracks = "everything"\n', "tasks.cc_ocr.tracks", 2, "is not one of"),
    ('[tasks.textvqaa]\nnormaliser = "evalai"\n', "tasks.textvqaa", 1, "Did you mean 'textvqa'"),
])
def test_task_tables_are_checked_against_declared_options(table: str, key: str, line: int,
                                                          fragment: str) -> None:
    """Every [tasks.NAME] table is checked when a run is planned, even one for a task the run
    does not include (ocrbench here), like every other key of the file."""
    from tvbench.runs.plan import build_plan

    cfg = config.parse(table, "my/tvbench.toml")
    with pytest.raises(ConfigError) as info:
        build_plan(cfg, models=["gemma3"], tasks=["ocrbench"])
    err = info.value
    assert (err.path, err.key, err.line) == ("my/tvbench.toml", key, line)
    assert fragment in str(err)


def test_declared_task_options_from_the_file_reach_the_task() -> None:
    from tvbench.runs.plan import build_plan

    cfg = config.parse('[tasks.textvqa]\nnormaliser = "evalai-clean"\n', "my/tvbench.toml")
    plan = build_plan(cfg, models=["gemma3"], tasks=["textvqa"])
    assert plan.tasks[0].task.config["normaliser"] == "evalai-clean"


def test_bundled_data_is_still_accepted_under_its_old_name_samples() -> None:
    assert config.parse('[run]\ndata = "bundled"\n').run.data == "bundled"
    assert config.parse('[run]\ndata = "samples"\n').run.data == "bundled"
    assert config.parse("").run.data == "bundled"


# -------------------------------------------------------------------------------- [gate]
@pytest.mark.parametrize("text,key,line,fragment", [
    ("[gate]\nalpha = 1.5\n", "gate.alpha", 2, "must lie between 0 and 1"),
    ("[gate]\nresamples = 50\n", "gate.resamples", 2, "must be at least 100"),
    ("[gate]\ncorrection = \"fdr\"\n", "gate.correction", 2, "Known: bh, holm, none"),
    ("[gate]\nmin_items = 1\n", "gate.min_items", 2, "must be at least 2"),
    ("[gate]\nmax_drop = -1\n", "gate.max_drop", 2, "must not be negative"),
    ("[gate]\nper_languages = true\n", "gate.per_languages", 2, "Did you mean 'per_language'"),
    ("[gate.groups.unsen]\nmax_drop = 3\n", "gate.groups.unsen", 1, "Did you mean 'unseen'"),
    ("[gate.groups.\"script:Latin\"]\nmax_drop = 3\n", "gate.groups.script:Latin", 1,
     "Did you mean 'Latn'"),
    ("[gate.groups.\"size:small\"]\nmax_drop = 3\n", "gate.groups.size:small", 1,
     "ATTRIBUTE one of resource, script, family"),
    ("[gate.groups.unseen]\nmin_score = 3\n", "gate.groups.unseen.min_score", 2,
     "Known: max_drop"),
])
def test_gate_keys_are_validated(text: str, key: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.parse(text, "my/tvbench.toml")
    assert (info.value.key, info.value.line) == (key, line)
    assert fragment in str(info.value)


def test_the_shipped_gate_examples_are_valid_once_uncommented() -> None:
    """The commented [gate.tasks.*] / [gate.groups.*] examples in tvbench.toml parse."""
    from tvbench.runs.gate_rules import settings_from_config

    text = (REPO / "tvbench.toml").read_text()
    gate = text[text.index("[gate]"):]
    examples = "\n".join(line[2:] for line in gate.splitlines()
                         if line.startswith(("# [gate.", "# max_drop")))
    assert examples.count("[gate.") == 3
    cfg = config.parse(text + "\n" + examples, "tvbench.toml")
    settings = settings_from_config(cfg.gate)
    assert settings.groups == {"unseen": 3.0, "resource:low": 4.0}
    assert settings.task_rule("alm_bench").max_drop == 2.0
    assert (settings.correction, settings.resamples, settings.per_language) == ("bh", 10000,
                                                                              True)
