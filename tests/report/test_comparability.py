"""Comparability groups: signatures decide, model fields and the harness version do not."""

from __future__ import annotations

from tvbench.report.comparability import compare, letter_name, setup_part

from .synthetic import make_signature


def test_model_adapter_and_version_fields_do_not_split_a_column() -> None:
    a = make_signature("t", ["en"], 10, "org/a")
    b = make_signature("t", ["en"], 10, "org/b", adapter="hf-y@2", tvbench="9.9.9")
    cmp = compare({"a": a, "b": b})
    assert not cmp.mixed
    assert cmp.letter("a") == cmp.letter("b") == ""  # one setup: no marks at all
    assert cmp.warnings() == []
    assert setup_part(a) == setup_part(b)
    assert "model:" not in setup_part(a) and "tvbench:" not in setup_part(a)


def test_a_different_generation_setting_is_flagged_and_named() -> None:
    sigs = {"a": make_signature("t", ["en"], 10, "org/a"),
            "b": make_signature("t", ["en"], 10, "org/b"),
            "c": make_signature("t", ["en"], 10, "org/c", gen="greedy,max16")}
    cmp = compare(sigs)
    assert cmp.mixed
    assert [cmp.letter(k) for k in "abc"] == ["A", "A", "B"]  # the larger group is A
    (warning,) = cmp.warnings()
    assert warning.startswith("B vs A: gen: greedy,max128 → greedy,max16")


def test_measured_scores_are_the_reference_even_when_reported_ones_outnumber_them() -> None:
    sigs = {"m": make_signature("t", ["en"], 10, "org/m")}
    for k in ("r1", "r2", "r3"):
        sigs[k] = make_signature("t", ["en"], 10, f"org/{k}", prompt="reported", agg="reported")
    cmp = compare(sigs, reported={"r1", "r2", "r3"})
    assert cmp.letter("m") == "A" and cmp.letter("r2") == "B"
    assert cmp.setups[1].reported and not cmp.setups[0].reported
    assert "(reported numbers)" in cmp.warnings()[0]


def test_a_missing_signature_is_never_comparable() -> None:
    cmp = compare({"a": make_signature("t", ["en"], 10, "org/a"), "b": None, "c": ""})
    assert len(cmp.setups) == 3
    assert cmp.letter("b") != cmp.letter("c")


def test_letters_continue_past_z() -> None:
    assert [letter_name(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA"]
