"""How ``--model`` values resolve, before anything is loaded."""

from __future__ import annotations

import pytest

from tvbench.data.outputs import Capability
from tvbench.models.registry import (
    FAMILY_LANGUAGES,
    ModelArgError,
    ModelEntry,
    capabilities,
    parse_model_arg,
)
from tvbench.registry import UnknownNameError

ENTRIES = {"towervision-2b": ModelEntry(name="towervision-2b", family="towervision",
                                        path="utter-project/TowerVision-2B", revision="abc")}


def test_config_entry_wins() -> None:
    assert parse_model_arg("towervision-2b", ENTRIES) is ENTRIES["towervision-2b"]


def test_bare_family_means_its_tiny_checkpoint_with_a_length_cap() -> None:
    e = parse_model_arg("gemma3", ENTRIES)
    assert (e.family, e.tiny, e.path, e.max_new_tokens) == ("gemma3", True, None, 16)


@pytest.mark.parametrize("arg,path,rev", [
    ("qwen2_5_vl:Qwen/Qwen2.5-VL-3B-Instruct@66285546", "Qwen/Qwen2.5-VL-3B-Instruct",
     "66285546"),
    ("qwen2_5_vl:/ckpt/run-7", "/ckpt/run-7", None),
    ("aya_vision:./local dir", "./local dir", None),
])
def test_family_with_path_and_revision(arg: str, path: str, rev: str | None) -> None:
    e = parse_model_arg(arg, ENTRIES)
    assert (e.backend, e.path, e.revision) == ("hf", path, rev)


def test_vllm_and_openai_forms() -> None:
    v = parse_model_arg("vllm:gemma3:google/gemma-3-4b-it", ENTRIES)
    assert (v.backend, v.family, v.path) == ("vllm", "gemma3", "google/gemma-3-4b-it")
    o = parse_model_arg("openai:gpt-x@http://127.0.0.1:8000/v1", ENTRIES)
    assert (o.backend, o.model, o.base_url, o.api_key_env) == (
        "openai", "gpt-x", "http://127.0.0.1:8000/v1", "OPENAI_API_KEY")
    with pytest.raises(ModelArgError, match="openai:MODEL_NAME@"):
        parse_model_arg("openai:gpt-x", ENTRIES)


def test_unknown_model_suggests_the_nearest_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_model_arg("towervison", ENTRIES)
    assert "towervision" in str(info.value)


def test_capabilities_are_known_without_loading() -> None:
    caps = capabilities(parse_model_arg("qwen2_5_vl", ENTRIES))
    assert {Capability.GENERATE, Capability.LOGLIKELIHOOD, Capability.VIDEO} <= caps


def test_declared_languages_fall_back_to_the_family() -> None:
    e = parse_model_arg("towervision", ENTRIES)
    assert e.languages() == FAMILY_LANGUAGES["towervision"]
    assert parse_model_arg("gemma3", ENTRIES).languages() is None
    custom = ModelEntry(name="x", family="gemma3", seen_languages=("de",))
    assert custom.languages() == ("de",)
