"""Signatures: built from fields, parsed back, compared ignoring the model side."""

from __future__ import annotations

import pytest

from tvbench.runs import signature

A = ("task:textvqa@1|split:validation|langs:en|n:12|prompt:aa|data:x#1|gen:greedy,max16|"
     "metric:vqa_acc[norm:evalai]|agg:meanx100|model:m1@r1|adapter:hf-qwen@1|tvbench:0.1.0")


def test_round_trip() -> None:
    fields = list(signature.parse(A).items())
    assert signature.build(fields) == A


def test_models_may_differ_nothing_else() -> None:
    other_model = A.replace("model:m1@r1", "model:m2@r9").replace("hf-qwen@1", "hf-gemma3@1")
    assert signature.comparable(A, other_model)
    newer_harness = A.replace("tvbench:0.1.0", "tvbench:0.2.0")
    assert signature.comparable(A, newer_harness)
    capped = A.replace("max16", "max128")
    assert not signature.comparable(A, capped)
    assert signature.differences(A, capped) == {"gen": ("greedy,max16", "greedy,max128")}


def test_pipes_only_inside_brackets() -> None:
    with pytest.raises(ValueError, match="balanced"):
        signature.build([("metric", "BLEU|nrefs:1")])
    with pytest.raises(ValueError, match="balanced"):
        signature.build([("metric", "bleu[nrefs:1|case:mixed")])
    sacre = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"  # sacrebleu's own
    sig = signature.build([("task", "multi30k@1"), ("metric", f"bleu[sacrebleu:{sacre}]"),
                           ("model", "m@r")])
    assert signature.parse(sig)["metric"] == f"bleu[sacrebleu:{sacre}]"
    assert signature.parse(sig)["model"] == "m@r"


def test_long_language_sets_are_hashed() -> None:
    assert signature.languages_field(["fr", "de"]) == "de,fr"
    long = signature.languages_field([f"l{i:02d}" for i in range(100)])
    assert long.startswith("100langs#") and len(long) < 20
