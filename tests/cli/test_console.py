"""Terminal output at 80 columns: tables and progress rows keep every word whole, ETAs are
sensible, parity results are spelled out, and text from models is shown, never obeyed."""

from __future__ import annotations

from typing import Any

from tvbench.cli.console import (
    RunProgress,
    language_tables,
    model_table,
    next_step_hint,
    parity_lines,
    remarks,
)
from tvbench.tasks.registry import TASKS

from .terminal import assert_fits, console, render, words

#: Names as `tvbench run` labels real runs (tvbench.toml entries and tiny checkpoints).
MODELS = ("tiny-towervision", "tiny-qwen2_5_vl", "towervision-9b", "qwen2.5-vl-7b",
          "aya-vision-8b", "gemma-3-12b")


def _block(metric: str, score: float | None, n: int, langs: dict[str, Any]) -> dict[str, Any]:
    return {"metric": metric, "score": score, "n": n, "n_errors": 3,
            "ci95": None if score is None else [score - 0.4, min(100.0, score + 0.4)],
            "languages": langs}


def results(seen: bool = True) -> dict[str, Any]:
    """Results of every built-in task with the real metric names, the widest numbers a real
    run prints (100.0, n in the thousands) and the secondary metrics each task reports."""
    tasks = {}
    for name in TASKS.names():
        task = TASKS.get(name)()
        primary, *rest = task.metrics({})
        langs = {lang: {"score": 100.0, "unseen": seen and i % 3 == 0}
                 for i, lang in enumerate(TASKS.get(name).languages)}
        block = _block(primary.name, None if name == "multi30k" else 100.0, 22763, langs)
        block["metrics"] = {m.name: _block(m.name, 100.0, 22763, {}) for m in rest}
        tasks[name] = block
    return {"tasks": tasks}


def test_the_model_table_keeps_every_task_and_metric_name_whole() -> None:
    res = results()
    text = render(model_table("towervision-9b", res))
    names = {m for b in res["tasks"].values() for m in [b["metric"], *b.get("metrics", {})]}
    assert_fits(text, {*res["tasks"], *names, "towervision-9b", "99.6–100.0", "22763", "n/s"})
    # BLEU and chrF stand under Multi30K's unscored XCOMET headline
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("multi30k"))
    assert "n/s" in lines[at] and "· bleu" in lines[at + 1] and "· chrf" in lines[at + 2]


def test_language_tables_split_the_models_so_names_stay_whole() -> None:
    runs = [(name, results()) for name in MODELS]
    tables = language_tables("alm_bench", runs, width=80)
    text = render(*tables)
    assert len(tables) == 2  # six models do not fit one 80-column table
    assert_fits(text, {*MODELS, "zh-Hans", "100.0*"})
    assert "models 1–4 of 6" in text and "models 5–6 of 6" in text
    for name in MODELS:  # every model is in exactly one of the tables
        assert sum(name in line for line in text.splitlines()) == 1, name


def test_notes_and_parity_wrap_between_words() -> None:
    note = ("multi30k: XCOMET not scored: COMET interpreter "
            "'/home/someone/projects/tvbench/.venv-comet/bin/python' not found (run `tvbench "
            "setup comet`); BLEU and chrF are reported")
    parity = parity_lines({"tasks": {"textvqa": {"parity": {
        "checked": 50, "batch_size": 16, "mismatches": ["question_34602", "question_34811"]}}}},
        requested=50)
    text = render(remarks([note], parity))
    assert_fits(text, words(note, *parity))


def test_progress_rows_fit_and_estimate_from_this_runs_own_speed() -> None:
    now = [0.0]
    out = console()
    with RunProgress(out, quiet=False, model="tiny-towervision", clock=lambda: now[0]) as p:
        bar = p.progress
        assert bar is not None
        p.task_started("vimul_bench", total=100, done=60)  # resumed: 60 stored items
        task = bar.tasks[-1]
        row = render(bar.get_renderable())
        assert "eta –" in row and "it/s" not in row  # nothing measured yet: no guess
        now[0] = 10.0
        p.advance(10)  # 10 items in 10 s: 30 left take 30 s (not 3 s: stored items are free)
        row = render(bar.get_renderable())
        assert "eta 0:00:30" in row and "1.0 it/s" in row and "70/100" in row
        now[0] = 40.0
        p.advance(30)
        p.task_finished("vimul_bench", {"score": 12.5, "ci95": [10.0, 15.0], "n": 100,
                                        "n_errors": 0})
        assert task.finished
        row = render(bar.get_renderable())
    assert "took 0:00:40" in row and "eta" not in row
    assert_fits(row, {"vimul_bench", "(12.5", "[10.0,", "15.0])", "100/100", "0:00:40"})
    assert "tiny-towervision" in out.file.getvalue()  # the model is named above its rows


def test_parity_results_name_what_was_checked_and_every_mismatch() -> None:
    res = {"tasks": {
        "textvqa": {"parity": {"checked": 5, "batch_size": 8, "mismatches": []}},
        "ocrbench": {"parity": {"checked": 40, "batch_size": 8,
                                "mismatches": [f"q{i}" for i in range(25)]}},
        "cc_ocr": {"parity": {"checked": 0, "mismatches": []}},
        "commute": {"parity": {"checked": 4, "batch_size": 8, "mismatches": ["c1"],
                               "divergence": 0.25, "max_abs_diff": 0.52}},
        "multi30k": {}}}
    lines = parity_lines(res, requested=40)
    assert lines[0] == ("textvqa: 5 item(s) re-run at batch size 1 against batch size 8: all "
                        "identical")
    assert lines[1].startswith("ocrbench: 40 item(s) re-run at batch size 1 against batch "
                               "size 8: 25 mismatch(es): q0, q1, ")
    assert "q19 … and 5 more (results.json: tasks.ocrbench.parity)" in lines[1]
    assert "q20" not in lines[1]
    assert lines[2] == "cc_ocr: nothing to check (no item without an error)"
    assert lines[1].endswith("; 62.5 % divergence")
    assert lines[3] == ("commute: 4 item(s) re-run at batch size 1 against batch size 8: 1 "
                        "mismatch(es): c1; 25.0 % divergence, largest log-likelihood "
                        "difference 0.52 nats")
    assert lines[4] == "multi30k: not checked"
    assert parity_lines(res, requested=0) == []


def test_model_text_reaches_the_terminal_visibly_never_as_control_codes() -> None:
    note = "judge reply: \x1b[2J\x1b]0;pwned\x07 ok \u202egnp.exe"
    text = render(remarks([note]))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "␛[2J␛]0;pwned␇ ok ⟨RLO⟩gnp.exe" in text


def test_the_real_checkpoint_hint_follows_tiny_or_bundled_runs_only() -> None:
    hint = next_step_hint(tiny=True, bundled=False)
    assert hint is not None and "tvbench run --model towervision-2b --data hub" in hint
    assert len(hint) <= 80  # one line
    assert next_step_hint(tiny=False, bundled=True) == hint
    assert next_step_hint(tiny=False, bundled=False) is None


def test_parity_lines_cover_only_the_tasks_of_this_run() -> None:
    """results.json keeps the blocks of tasks run earlier into the same folder; a task this
    run did not touch gets no parity line (it was not re-run, whatever its kind)."""
    res = {"tasks": {"ocrbench": {},  # from an earlier run, before --check-parity
                     "textvqa": {"parity": {"checked": 2, "batch_size": 8, "mismatches": []}}}}
    assert [line.split(":")[0] for line in parity_lines(res, 2, ["textvqa"])] == ["textvqa"]
