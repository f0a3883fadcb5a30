"""The item record: JSON lines as tvbench has always written them read back unchanged, bad
lines are refused with the field named, and a record is read-only all the way down."""

from __future__ import annotations

import json
import math

import pytest

from tvbench.data.outputs import Generation
from tvbench.data.record import Continuation, ItemRecord, RecordFormatError, thaw

# Lines in the format of the dict-based writer that preceded ItemRecord (tvbench 0.1.0
# before the refactor): a scored generation, a log-likelihood item, a data error, a
# CC-OCR KIE item whose answer is a parsed object, and a judged ALM-Bench item.
OLD_LINES = [
    '{"id": "50000", "lang": "en", "input_hash": "' + "a" * 64 + '", "prompt": "[user] <image>'
    'Q?", "output": "Cafe Roma.", "error": null, "n_tokens": 4, "thumb": "thumbs/textvqa/'
    '0123456789abcdef.jpg", "answer": "cafe roma", "score": 1.0}',
    '{"id": "de-0-a.png", "lang": "de", "input_hash": "' + "b" * 64 + '", "prompt": "[user] '
    '<image>Translate\\n[candidate] Hallo\\n[candidate] Tschüss", "output": [{"continuation": '
    '"Hallo", "total": -3.5, "mean": -1.75, "n_tokens": 2}, {"continuation": "Tschüss", '
    '"total": null, "mean": null, "n_tokens": 3}], "error": null, "answer": "correct", '
    '"score": 1.0, "metrics": {"logprob_correct": -3.5, "logprob_incorrect": -9.0}}',
    '{"id": "row3", "lang": "en", "input_hash": null, "prompt": "", "output": null, '
    '"answer": null, "score": null, "error": "bad record: KeyError: \'question\'"}',
    '{"id": "kie/sroie/x.png", "lang": "en", "input_hash": "' + "c" * 64 + '", "prompt": "p", '
    '"output": "{\\"total\\": \\"8.76\\"}", "error": null, "n_tokens": 9, "answer": {"total": '
    '"8.76", "items": ["a", 1]}, "score": 0.5, "metrics": {"tp": 3, "fp_fn": 2, "acc": 0.9, '
    '"f1": 0.5}, "extra": {"track": "kie", "subset": "sroie", "parsed": true}}',
    '{"id": "900_1", "lang": "en", "input_hash": "' + "d" * 64 + '", "prompt": "p", "output": '
    '"Fish", "error": null, "n_tokens": 1, "answer": "Fish", "score": 0.8, "metrics": '
    '{"judge_0_10": 8.0}, "extra": {"judge_reply": "8"}}',
]


@pytest.mark.parametrize("line", OLD_LINES, ids=["generation", "candidates", "error", "kie",
                                                 "judged"])
def test_old_lines_read_back_unchanged(line: str) -> None:
    raw = json.loads(line)
    record = ItemRecord.from_json(raw)
    assert record.to_json() == raw  # same keys, same values: nothing added, nothing dropped
    assert ItemRecord.from_json(record.to_json()) == record


def test_typed_fields() -> None:
    gen, cands = (ItemRecord.from_json(json.loads(line)) for line in OLD_LINES[:2])
    assert gen.text == "Cafe Roma." and gen.continuations == ()
    assert gen.model_output() == Generation("Cafe Roma.", 4)
    assert cands.text is None and cands.continuations[1] == Continuation("Tschüss", None, None, 3)
    lls = cands.model_output()
    assert isinstance(lls, list) and lls[0].total == -3.5 and math.isnan(lls[1].total)
    assert ItemRecord(id="x", lang="en").model_output() is None


def test_provenance_is_kept_inside_extra() -> None:
    record = ItemRecord(id="1", lang="en", output="x", extra={"reference": "y"},
                        provenance={"comet": "model:tiny#1"})
    line = record.to_json()
    assert line["extra"] == {"reference": "y", "provenance": {"comet": "model:tiny#1"}}
    assert set(line) == {"id", "lang", "input_hash", "prompt", "output", "answer", "score",
                         "extra", "error"}
    assert ItemRecord.from_json(line) == record
    with pytest.raises(ValueError, match="reserved"):
        ItemRecord(id="1", lang="en", extra={"provenance": {}})


@pytest.mark.parametrize("change,field", [
    ({"id": None}, "'id'"),
    ({"id": True}, "'id'"),
    ({"lang": 3}, "'lang'"),
    ({"score": "0.5"}, "'score'"),
    ({"score": False}, "'score'"),
    ({"output": {"text": "x"}}, "'output'"),
    ({"output": [{"continuation": "a", "total": "x", "mean": 0, "n_tokens": 1}]}, "output[0]"),
    ({"output": [{"continuation": "a", "total": 0, "mean": 0}]}, "output[0]"),
    ({"metrics": {"f1": "high"}}, "'metrics.f1'"),
    ({"metrics": [1]}, "'metrics'"),
    ({"stats": {"bleu": "1 2"}}, "'stats.bleu'"),
    ({"stats": {"bleu": [1, "2"]}}, "'stats.bleu'"),
    ({"stats": [1.0]}, "'stats'"),
    ({"extra": {"provenance": {"judge": 1}}}, "'extra.provenance'"),
    ({"n_tokens": 1.5}, "'n_tokens'"),
    ({"thumb": 7}, "'thumb'"),
])
def test_bad_lines_name_the_field(change: dict, field: str) -> None:
    raw = {**json.loads(OLD_LINES[0]), **change}
    with pytest.raises(RecordFormatError, match=field.replace("[", r"\[").replace("]", r"\]")):
        ItemRecord.from_json(raw)


def test_an_unreadable_line_keeps_what_identifies_the_item() -> None:
    raw = {"id": 7, "lang": "de", "input_hash": "h", "prompt": "p", "score": "x"}
    record = ItemRecord.unreadable(raw, "field 'score': ...")
    assert (record.id, record.lang, record.input_hash, record.prompt) == ("7", "de", "h", "p")
    assert record.output is None and record.error == "unreadable stored record: field 'score': ..."
    assert ItemRecord.unreadable({"id": "8", "lang": None}, "x").lang == "und"


def test_frozen_values_thaw_to_plain_json() -> None:
    record = ItemRecord(id="1", lang="en", answer={"a": [1, {"b": 2}]})
    assert thaw(record.answer) == {"a": [1, {"b": 2}]}
    assert json.dumps(record.to_json())  # serialisable as it is


def test_per_metric_statistics_round_trip_read_only() -> None:
    line = {**json.loads(OLD_LINES[0]), "stats": {"vqa_accuracy": [1.0, 1.0],
                                                  "bleu": [3, 4, 1, 0, 0, 0, 2, 1, 0, 0]}}
    record = ItemRecord.from_json(line)
    assert record.stats["bleu"][:2] == (3, 4)
    assert record.to_json() == line and ItemRecord.from_json(record.to_json()) == record
    with pytest.raises(TypeError):
        record.stats["bleu"] = (1,)  # type: ignore[index]
    assert "stats" not in ItemRecord(id="1", lang="en").to_json()  # only when it carries some
