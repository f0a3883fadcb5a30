"""Importing runs of the TowerVision authors' lmms-eval fork (0.3 layout).

No fork output folder is committed: these folders are written by the test, in the layout the
authors' published runs show (GuilhermeViveiros/LLaVA-NeXT ``tvision_results/``: ``doc``
with every field whose name lacks "image", nested ``resps``/``filtered_resps``, the metric
payloads, ``git_hash`` and no ``lmms_eval_version``), from tvbench's bundled data. The fork's
CC-OCR aggregation is re-implemented here from its code (``cc_ocr_eval/utils.py``
``calculate_metrics``) as an independent oracle.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parent.parent.parent
BUNDLED = REPO / "tasks" / "bundled"


def _rows(path: str) -> list[dict]:
    return pq.read_table(BUNDLED / path).to_pylist()


def _doc(row: dict) -> dict:
    return {k: v for k, v in row.items() if "image" not in k and k != "file_name"}


def _line(doc_id: int, doc: dict, text: str, **metrics) -> dict:
    return {"doc_id": doc_id, "doc": doc, "target": "", "arguments": {"0": "max_new_tokens"},
            "resps": [[text]], "filtered_resps": [text], "doc_hash": "0" * 64, **metrics,
            "input": "prompt"}


def _fork_tokens(text: str, word_level: bool) -> list[str]:
    """The fork's text_normalize_and_tokenize (lower-case, no alnum filter)."""
    text = text.replace("\t", " ").replace("\n", " ").replace("###", "").replace("***", "")
    text = re.sub(r"\s+", " ", text)
    if not word_level:
        text = text.replace(" ", "")
    return [t.lower() for t in (text.split(" ") if word_level else list(text)) if t]


def _fork_cc_ocr(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """The fork's calculate_metrics: macro = Σ F1_i / (n + 1e-9), micro = pooled hmean."""
    f1s, right, n_gt, n_pred = [], 0, 0, 0
    for pred, gt in pairs:
        p, g = _fork_tokens(pred.strip(), True), _fork_tokens(gt.strip(), True)
        r = sum(min(c, Counter(p).get(t, 0)) for t, c in Counter(g).items())
        rec, prec = r / (len(g) + 1e-9), r / (len(p) + 1e-9)
        f1s.append(2 * rec * prec / (rec + prec + 1e-9))
        right, n_gt, n_pred = right + r, n_gt + len(g), n_pred + len(p)
    rec, prec = right / (n_gt + 1e-9), right / (n_pred + 1e-9)
    return {"macro_f1_score": sum(f1s) / (len(f1s) + 1e-9),
            "micro_f1_score": 2 * rec * prec / (rec + prec + 1e-9)}


def _write(folder: Path, tasks: dict[str, tuple[dict, list[dict]]]) -> Path:
    model = folder / "utter-project__TowerVision-2B"
    model.mkdir(parents=True)
    results = {"results": {n: {"alias": n, **r} for n, (r, _) in tasks.items()},
               "configs": {n: {"task": n, "process_results": f"<function {n}_fn at 0x1>"}
                           for n in tasks},
               "config": {"model": "llava_hf", "model_args": "pretrained=utter-project/"
                          "TowerVision-2B", "batch_size": "1"},
               "git_hash": "45f36e7", "date": "20250901_215540",
               "model_name": "utter-project/TowerVision-2B"}
    (model / "20250901_215540_results.json").write_text(json.dumps(results))
    for name, (_, lines) in tasks.items():
        (model / f"20250901_215540_samples_{name}.jsonl").write_text(
            "".join(json.dumps(x) + "\n" for x in lines))
    return folder


def _cc_ocr_task() -> tuple[dict, list[dict]]:
    rows = [r for r in _rows("cc_ocr/test-multi_lan_ocr.parquet") if r["split"] == "German"]
    preds = [rows[0]["answer"], "bitte nicht"]
    lines = [_line(i, _doc(r), p, ocr_results={
        "index": r["index"], "image_name": r["image_name"], "question_type": r["question"],
        "prediction": p, "ground_truth": r["answer"]})
        for i, (r, p) in enumerate(zip(rows, preds, strict=True))]
    numbers = _fork_cc_ocr(list(zip(preds, [r["answer"] for r in rows], strict=True)))
    return {"ocr_results,none": numbers, "ocr_results_stderr,none": "N/A"}, lines


def _commute_task(wrong: int) -> tuple[dict, list[dict]]:
    rows = _rows("commute/de.parquet")
    half = len(rows)
    lines = []
    for k, output in enumerate(("correct_translation", "incorrect_translation")):
        for i, r in enumerate(rows):
            doc = {**_doc(r), "image_name": r["image_name"], "output": r[output]}
            # the fork counts a pair right when the correct candidate's loss is lower
            loss = (1.0 if k == 0 else 2.0) if i >= wrong else (3.0 if k == 0 else 2.0)
            lines.append(_line(k * half + i, doc, "", results={
                "image_name": r["image_name"], "source": r["source"], "loglikelihood": loss}))
    accuracy = (half - wrong) / half
    return {"results,none": {"contrastive_accuracy": accuracy}}, lines


def test_fork_runs_import_with_their_own_numbers_alongside(cli, tmp_path: Path) -> None:
    multi = _rows("multi30k/test.parquet")
    alm = [r for r in _rows("alm_bench/test.parquet") if r["Language"] == "English"
           and r["Question_Type"] == "Multiple Choice Questions"]
    ocr = _rows("ocrbench/test.parquet")
    folder = _write(tmp_path / "fork", {
        "cc-ocr-multi-lan-de": _cc_ocr_task(),
        "commute-de": _commute_task(wrong=2),
        "multi30k-de": ({"results,none": {"avg_XCOMET-XL_score": 0.9}},
                        [_line(i, _doc(r), r["de"], results={}) for i, r in enumerate(multi)]),
        "alm-bench-en": ({"exact_match,none": 0.5},
                         [_line(i, _doc(r), "Final Answer: x", exact_match=0.0)
                          for i, r in enumerate(alm)]),
        "ocrbench": ({"ocrbench_accuracy,none": 0.0}, [_line(0, _doc(ocr[0]), "ｃｅｎｔｒｅ",
                                                             ocrbench_accuracy={
            "question_type": ocr[0]["question_type"], "score": 0, "prediction": "ｃｅｎｔｒｅ",
            "ground_truth": ocr[0]["answer"]})]),
    })
    # the fork names ocrbench's function as upstream does
    path = next(folder.glob("*/*_results.json"))
    data = json.loads(path.read_text())
    data["configs"]["ocrbench"]["process_results"] = "<function ocrbench_process_results at 0x>"
    path.write_text(json.dumps(data))
    code, out = cli("import", "lmms-eval", str(folder), "--output", "runs", "--no-report")
    assert code == 0, out
    results = json.loads(Path("runs/utter-project__TowerVision-2B.lmms-eval/results.json")
                         .read_text())
    assert results["import"]["layout"] == "fork-0.3"
    assert "source:lmms-eval@git:45f36e7[layout:fork-0.3]" in results["tasks"]["cc_ocr"][
        "signature"]
    cc = results["tasks"]["cc_ocr"]["lmms_eval"]["tasks"]["cc-ocr-multi-lan-de"]["metrics"]
    assert cc["macro_f1_score"]["equal"] and cc["micro_f1_score"]["equal"]
    commute = results["tasks"]["commute"]
    assert commute["score"] == pytest.approx(100 * 4 / 6, abs=1e-4)
    assert commute["options"]["normalise"] == "mean"
    assert commute["lmms_eval"]["tasks"]["commute-de"]["metrics"]["contrastive_accuracy"][
        "equal"] is True
    m30k = results["tasks"]["multi30k"]
    assert m30k["n"] == len(multi) and m30k["metrics"]["bleu"]["score"] == 100.0
    assert m30k["lmms_eval"]["tasks"]["multi30k-de"]["metrics"]["avg_XCOMET-XL_score"][
        "recomputed"] is None  # no COMET configured in the test: shown, not reproduced
    alm_block = results["tasks"]["alm_bench"]
    assert alm_block["n"] == len(alm)
    assert alm_block["lmms_eval"]["tasks"]["alm-bench-en"]["metrics"]["exact_match"] == {
        "lmms_eval": 0.5, "recomputed": None, "equal": None}
    # the fork does not fold full-width letters: tvbench scores it with its paper protocol
    # (the fork's rule), and the fork's Final/1000 (0 hits) is reproduced
    ocr_block = results["tasks"]["ocrbench"]
    assert ocr_block["options"]["protocol"] == "paper" and ocr_block["score"] == 0.0
    assert ocr_block["lmms_eval"]["tasks"]["ocrbench"]["metrics"]["ocrbench_accuracy"][
        "equal"] is True


def test_a_commute_log_that_does_not_pair_up_is_skipped(cli, tmp_path: Path) -> None:
    numbers, lines = _commute_task(wrong=0)
    lines[-1]["doc"]["image_name"] = "another.jpg"
    folder = _write(tmp_path / "fork", {"commute-de": (numbers, lines),
                                        "cc-ocr-multi-lan-de": _cc_ocr_task()})
    code, out = cli("import", "lmms-eval", str(folder), "--output", "runs", "--no-report")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "commute-de' → commute: skipped" in flat and "is not the incorrect half" in flat
