"""The regression rule: a drop beyond the tolerance AND significant under a paired bootstrap.

Run folders are written directly (tests/runs/gate_runs.py) so every score is known by
construction, and once by the runner with a fake model, so the records the gate reads are
the ones ``tvbench run`` writes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tvbench.runs.gate import PAIRED, TOLERANCE, compare
from tvbench.runs.gate_pairs import load_side
from tvbench.runs.gate_rules import GateSettings, Tolerance, settings_from_config
from tvbench.runs.runner import Runner, RunSettings, TaskPlan
from tvbench.runs.store import RunFolder

from .fakes import FakeAdapter
from .gate_runs import accuracies, write_run

LANGS = ("de", "es", "fr", "it", "ja", "ko", "pt", "ru")


def gate(root: Path, cand: str, base: str, **settings) -> object:
    return compare(load_side(root / cand), load_side(root / base), GateSettings(**settings))


def by_label(report) -> dict[str, object]:
    return {c.label: c for c in report.checks}


def test_a_run_passes_against_itself(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    write_run(tmp_path, "base", {"mvqa": accuracies(rng, LANGS, 40, 0.6)}, seen=["de", "fr"])
    report = gate(tmp_path, "base", "base")
    assert report.exit_code == 0 and report.failed == []
    checks = by_label(report)
    assert checks["mvqa"].test == PAIRED and checks["mvqa"].delta == 0
    assert checks["mvqa"].p_value == 1.0 and checks["mvqa"].ci95 == (0.0, 0.0)
    assert {c.scope for c in report.checks} == {"task", "language", "group"}
    assert all(c.verdict == "pass" for c in report.checks)
    assert checks["mvqa · unseen"].languages == ("es", "it", "ja", "ko", "pt", "ru")


def test_a_real_drop_in_one_language_fails_and_only_there(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = accuracies(rng, LANGS, 60, 0.7)
    cand = {lang: list(v) for lang, v in base.items()}
    ones = [i for i, x in enumerate(cand["ja"]) if x == 1.0]
    for i in ones[:20]:  # 20 of ja's right answers turn wrong: a ~33-point drop
        cand["ja"][i] = 0.0
    write_run(tmp_path, "base", {"mvqa": base})
    write_run(tmp_path, "cand", {"mvqa": cand})
    report = gate(tmp_path, "cand", "base")
    assert report.exit_code == 1
    failed = [c.label for c in report.failed]
    assert "mvqa · ja" in failed and all(c.endswith(("ja", "mvqa")) for c in failed)
    ja = by_label(report)["mvqa · ja"]
    assert ja.delta == pytest.approx(-100 * 20 / 60)
    assert ja.ci95[1] < 0 and ja.p_adjusted < 0.05 and "significant" in ja.reason
    assert all(c.verdict == "pass" for c in report.checks if c.scope == "language"
               and c.name != "ja")


def _resampled_pair(root: Path, seed: int) -> None:
    """A candidate that is the baseline with every item's score redrawn from its language's
    own scores: no true change, only the noise of a small subset (25 items per language)."""
    rng = np.random.default_rng(seed)
    base = accuracies(rng, LANGS, 25, {lang: 0.3 + 0.05 * i for i, lang in enumerate(LANGS)})
    cand = {lang: [float(x) for x in rng.choice(v, size=len(v))] for lang, v in base.items()}
    write_run(root, "base", {"mvqa": base})
    write_run(root, "cand", {"mvqa": cand})


def test_differences_within_noise_pass_where_the_tolerance_alone_would_fail(
        tmp_path: Path) -> None:
    beyond = 0
    for seed in range(5):
        _resampled_pair(tmp_path / str(seed), seed)
        report = gate(tmp_path / str(seed), "cand", "base", default=Tolerance(max_drop=1.0))
        assert report.exit_code == 0, (seed, [c.reason for c in report.failed])
        big = [c for c in report.checks if c.scope == "language" and c.drop is not None
               and c.drop > 1.0]
        assert all("within noise" in c.reason for c in big)
        beyond += len(big)
    assert beyond >= 8, "the pairs must contain drops beyond the tolerance"
    # The same pair judged by the tolerance alone (records without statistics) fails.
    for name in ("base", "cand"):
        folder = RunFolder(tmp_path / "0" / name)
        records = folder.read_records("mvqa").values()
        folder.write_records("mvqa", [dataclasses.replace(r, stats={}) for r in records])
    old = gate(tmp_path / "0", "cand", "base", default=Tolerance(max_drop=1.0))
    assert old.exit_code == 1 and {c.test for c in old.checks} == {TOLERANCE}
    assert "no per-item statistics" in " ".join(old.notes["mvqa"])


def test_false_discovery_rate_is_controlled_across_100_languages(tmp_path: Path) -> None:
    """100 languages × 30 items, no true change (both runs draw every item with the same
    difficulty): BH keeps false regressions at the alpha level, uncorrected tests do not."""
    from tvbench.data.languages import known_codes

    langs = known_codes()[:100]
    any_false, raw_false = 0, []
    for rep in range(4):
        rng = np.random.default_rng(1000 + rep)
        difficulty = {lang: rng.beta(2, 2, 30) for lang in langs}
        draw = {lang: [float(x) for x in rng.random(30) < difficulty[lang]] for lang in langs}
        again = {lang: [float(x) for x in rng.random(30) < difficulty[lang]]
                 for lang in langs}
        root = tmp_path / str(rep)
        write_run(root, "base", {"alm": draw})
        write_run(root, "cand", {"alm": again})
        strict = dict(default=Tolerance(max_drop=0.0), resamples=2000, per_language=True)
        bh = gate(root, "cand", "base", correction="bh", **strict)
        any_false += any(c.scope == "language" for c in bh.failed)
        if rep < 2:
            none = gate(root, "cand", "base", correction="none", **strict)
            raw_false.append(sum(c.scope == "language" for c in none.failed))
    assert any_false <= 1  # family-wise (= FDR under the global null) at about 5%
    assert sum(raw_false) >= 4, raw_false  # uncorrected: about 5 per 100 by chance
    # Power: three languages with a real collapse are found, and nothing else.
    rng = np.random.default_rng(5)
    base = accuracies(rng, langs, 30, 0.8)
    cand = dict(base, **{lang: [0.0] * 30 for lang in langs[:3]})
    write_run(tmp_path / "drop", "base", {"alm": base})
    write_run(tmp_path / "drop", "cand", {"alm": cand})
    found = gate(tmp_path / "drop", "cand", "base", resamples=2000)
    assert sorted(c.name for c in found.failed if c.scope == "language") == sorted(langs[:3])


def test_holm_is_stricter_than_bh_and_the_method_is_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = accuracies(rng, LANGS, 50, 0.7)
    cand = {lang: [0.0 if i < 12 else x for i, x in enumerate(v)] for lang, v in base.items()}
    write_run(tmp_path, "base", {"mvqa": base})
    write_run(tmp_path, "cand", {"mvqa": cand})
    bh = gate(tmp_path, "cand", "base", correction="bh")
    holm = gate(tmp_path, "cand", "base", correction="holm")
    for a, b in zip(bh.checks, holm.checks, strict=True):
        if a.scope != "task" and a.p_value is not None:
            assert a.p_value == b.p_value and a.p_adjusted <= b.p_adjusted
    assert "Benjamini-Hochberg" in bh.settings.describe()
    assert "Holm" in holm.settings.describe()


def test_lower_is_better_metrics_fail_when_they_rise(tmp_path: Path) -> None:
    """An error rate: the candidate's rise is the regression, its fall an improvement."""
    rng = np.random.default_rng(4)
    low = accuracies(rng, ["en"], 200, 0.1)
    high = {"en": [1.0 if i < 60 else x for i, x in enumerate(low["en"])]}
    for name, scores in (("low", low), ("high", high)):
        write_run(tmp_path, name, {"cer": scores}, metric="cer", higher_is_better=False)
    worse = gate(tmp_path, "high", "low")
    assert worse.exit_code == 1
    head = by_label(worse)["cer"]
    assert head.higher_is_better is False and head.delta > 20 and head.drop == head.delta
    assert head.ci95[0] > 0 and head.p_value < 0.01
    better = gate(tmp_path, "low", "high")
    assert better.exit_code == 0 and by_label(better)["cer"].p_value > 0.5


def test_mismatched_signatures_are_not_comparable(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    scores = accuracies(rng, LANGS, 20, 0.5)
    write_run(tmp_path, "base", {"mvqa": scores})
    write_run(tmp_path, "other", {"mvqa": scores}, prompt="p2")
    write_run(tmp_path, "subset", {"mvqa": scores}, subset="50#ab12cd")  # any new field
    for cand in ("other", "subset"):
        report = gate(tmp_path, cand, "base")
        assert report.exit_code == 2
        assert report.checks[0].verdict == "incomparable"
        assert "signatures differ" in report.checks[0].reason


def test_too_few_shared_items_or_different_inputs(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    scores = accuracies(rng, ["en"], 12, 0.5)
    write_run(tmp_path, "base", {"t": scores})
    changed = {f"en-{i}": f"other-{i}" for i in range(5)}  # same ids, different inputs
    write_run(tmp_path, "cand", {"t": scores}, hashes=changed)
    report = gate(tmp_path, "cand", "base")
    head = report.checks[0]
    assert report.exit_code == 2 and head.verdict == "incomparable"
    assert head.reason == "too few shared items: 7 < min_items 10"
    assert "5 item(s) with the same id but different inputs" in report.notes["t"][0]
    assert gate(tmp_path, "cand", "base", min_items=5).exit_code == 0


def test_task_and_group_tolerances(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    base = {k: [1.0] * 8 + v[8:] for k, v in accuracies(rng, LANGS, 80, 0.8).items()}
    # Every unseen language (all but de, fr) loses 8 right answers of 80: 10 points.
    cand = {k: v if k in ("de", "fr") else [0.0] * 8 + v[8:] for k, v in base.items()}
    write_run(tmp_path, "base", {"mvqa": base}, seen=["de", "fr"])
    write_run(tmp_path, "cand", {"mvqa": cand}, seen=["de", "fr"])
    strict = gate(tmp_path, "cand", "base")
    assert "mvqa · unseen" in [c.label for c in strict.failed]
    lenient = settings_from_config({"max_drop": 1.0, "tasks": {"mvqa": {"max_drop": 12.0}}})
    assert compare(load_side(tmp_path / "cand"), load_side(tmp_path / "base"),
                   lenient).exit_code == 0
    group_only = settings_from_config({"max_drop": 12.0, "groups": {"unseen": {"max_drop": 2}}})
    report = compare(load_side(tmp_path / "cand"), load_side(tmp_path / "base"), group_only)
    assert [c.label for c in report.failed] == ["mvqa · unseen"]
    assert by_label(report)["mvqa · unseen"].max_drop == 2.0


def test_declared_language_groups_and_unknown_seen_languages(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    langs = ["en", "de", "fr", "ru", "uk", "ar", "sw", "am"]
    scores = accuracies(rng, langs, 20, 0.5)
    write_run(tmp_path, "run", {"alm": scores}, groups=("resource", "script", "family"))
    report = gate(tmp_path, "run", "run")
    groups = {c.name: c.languages for c in report.checks if c.scope == "group"}
    assert groups["script:Cyrl"] == ("ru", "uk") and groups["script:Latn"] == (
        "de", "en", "fr", "sw")
    assert "family:Indo-European" in groups and "seen" not in groups
    assert any("seen/unseen groups: unknown" in n for n in report.notes["alm"])


def test_missing_tasks_fail_unless_narrowed(tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    tasks = {t: accuracies(rng, ["en"], 20, 0.5) for t in ("a", "b", "c", "d")}
    write_run(tmp_path, "base", tasks)
    write_run(tmp_path, "only_b", {"b": tasks["b"]})
    write_run(tmp_path, "partial", {"a": tasks["a"], "b": tasks["b"], "e": tasks["a"]})
    only = gate(tmp_path, "only_b", "base")
    assert only.exit_code == 1
    assert sorted(c.task for c in only.failed) == ["a", "c", "d"]
    assert all(c.reason == "task missing from the candidate run" for c in only.failed)
    partial = gate(tmp_path, "partial", "base")
    assert partial.exit_code == 1 and sorted(c.task for c in partial.failed) == ["c", "d"]
    assert by_label(partial)["e"].verdict == "not compared"
    narrowed = compare(load_side(tmp_path / "only_b"), load_side(tmp_path / "base"),
                       GateSettings(), tasks=["b"])
    assert narrowed.exit_code == 0 and [c.task for c in narrowed.checks] == ["b"]
    missing = compare(load_side(tmp_path / "only_b"), load_side(tmp_path / "base"),
                      GateSettings(), tasks=["b", "c"])
    assert missing.exit_code == 2 and by_label(missing)["c"].verdict == "incomparable"


def test_reported_baselines_are_tolerance_only(tmp_path: Path) -> None:
    paper = Path(__file__).resolve().parents[2] / "reports/towervision-paper/towervision-2b"
    rng = np.random.default_rng(11)
    write_run(tmp_path, "cand", {"textvqa": accuracies(rng, ["en"], 50, 0.67)},
              metric="vqa_accuracy")
    report = compare(load_side(tmp_path / "cand"), load_side(paper),
                     GateSettings(default=Tolerance(max_drop=5.0)), tasks=["textvqa"])
    head = by_label(report)["textvqa"]
    assert head.test == TOLERANCE and head.p_value is None and head.baseline == 68.1
    assert head.verdict == ("pass" if head.drop <= 5.0 else "fail")
    assert "reported paper run" in report.notes[""][0]
    write_run(tmp_path, "other", {"textvqa": accuracies(rng, ["en"], 50, 0.67)})
    wrong = compare(load_side(tmp_path / "other"), load_side(paper), GateSettings(),
                    tasks=["textvqa"])
    assert wrong.exit_code == 2 and "the paper reports 'vqa_accuracy'" in wrong.checks[0].reason


# ------------------------------------------------------- folders made by the runner
GOOD = {"name of the cafe": "cafe roma", "brand": "coca cola", "speed limit": "50",
        "english word": "books", "does the train go": "lisboa", "sign say": "exit"}


def _run(tmp_path: Path, name: str, answers: dict[str, str], **task_opts) -> Path:
    from tvbench_tasks.textvqa import TextVQA

    task = TextVQA(**task_opts)
    Runner(FakeAdapter(answers=answers, name=name), RunFolder(tmp_path / name),
           RunSettings()).run([TaskPlan(task, task.bundled_source())])
    return tmp_path / name


def test_runner_folders_carry_statistics_and_gate_end_to_end(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", GOOD)
    records = RunFolder(base).read_records("textvqa")
    assert all(r.stats["vqa_accuracy"] == (r.score, 1.0) for r in records.values())
    results = load_side(base).tasks["textvqa"]
    assert (results["aggregation"], results["higher_is_better"]) == ("meanx100", True)
    same = _run(tmp_path, "same", GOOD)
    worse = _run(tmp_path, "worse", {})
    settings = GateSettings(min_items=5)
    assert compare(load_side(same), load_side(base), settings).exit_code == 0
    bad = compare(load_side(worse), load_side(base), settings)
    assert bad.exit_code == 1 and bad.checks[0].delta == pytest.approx(-50.0)
    assert bad.checks[0].test == PAIRED and bad.checks[0].p_value < 0.05
    other = _run(tmp_path, "clean", GOOD, normaliser="evalai-clean")
    assert compare(load_side(other), load_side(base), settings).exit_code == 2


def test_errors_min_score_and_unscored_tasks(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    scores = {"a": accuracies(rng, ["en"], 20, 0.5), "b": accuracies(rng, ["en"], 20, 0.5)}
    base = write_run(tmp_path, "base", scores)
    floor = compare(load_side(base), load_side(base),
                    GateSettings(default=Tolerance(min_score=99)))
    assert floor.exit_code == 1 and floor.failed[0].reason == "below min_score 99"
    side = load_side(base)
    side.results["tasks"]["a"]["n_errors"] = 2  # type: ignore[index]
    errs = compare(side, load_side(base), GateSettings())
    assert by_label(errs)["a"].reason == "2 items ended in an error"
    assert compare(side, load_side(base), GateSettings(allow_errors=True)).exit_code == 0
    side.results["tasks"]["b"].update(score=None, status="not scored: no [judge] set")
    unscored = load_side(base)
    unscored.results["tasks"]["b"].update(score=None, status="not scored: no [judge] set")
    both = compare(side, unscored, GateSettings(allow_errors=True))
    b = by_label(both)["b"]
    assert b.verdict == "not compared" and b.reason == ("not scored in either run: no [judge] "
                                                        "set")
    assert both.exit_code == 0
    lost = compare(side, load_side(base), GateSettings(allow_errors=True))
    assert by_label(lost)["b"].verdict == "fail" and lost.exit_code == 1
    nothing = compare(side, unscored, GateSettings(allow_errors=True), tasks=["b"])
    assert nothing.exit_code == 2


def test_corpus_statistics_need_no_dataset(tmp_path: Path) -> None:
    """Multi30K's BLEU and chrF need each item's reference; the records keep the sacrebleu
    statistics, so the folder alone reproduces every per-language corpus score."""
    from tvbench_tasks.multi30k import Multi30K

    from tvbench.metrics.aggregate import by_name, score

    task = Multi30K()
    Runner(FakeAdapter(name="mt"), RunFolder(tmp_path / "mt"),
           RunSettings()).run([TaskPlan(task, task.bundled_source())])
    block = load_side(tmp_path / "mt").tasks["multi30k"]
    records = RunFolder(tmp_path / "mt").read_records("multi30k").values()
    for metric in ("bleu", "chrf"):
        sub = block["metrics"][metric]
        agg = by_name(sub["aggregation"])
        assert agg is not None and sub["higher_is_better"] is True
        for lang, lb in sub["languages"].items():
            rows = [r.stats[metric] for r in records if r.lang == lang]
            assert len(rows) == lb["n_scored"] > 0
            assert round(score(agg, rows), 4) == lb["score"]
    assert all("xcomet" not in r.stats for r in records)  # not scored: no statistics


def test_too_few_resamples_for_the_correction_are_flagged(tmp_path: Path) -> None:
    """With 8+ corrected checks at alpha 0.05, 100 resamples (smallest p = 1/101) can never
    show a single-language drop; the gate says so instead of passing silently."""
    rng = np.random.default_rng(13)
    write_run(tmp_path, "run", {"mvqa": accuracies(rng, LANGS, 20, 0.5)})
    coarse = gate(tmp_path, "run", "run", resamples=100)
    assert any("raise resamples above" in n for n in coarse.notes["mvqa"])
    fine = gate(tmp_path, "run", "run", resamples=1000)
    assert not any("raise resamples" in n for n in fine.notes["mvqa"])
