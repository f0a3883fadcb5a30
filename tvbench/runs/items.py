"""Item records: what one benchmark item asks of a model, and how its stored answer is scored.

The runner writes a record per item as batches complete; scoring a record is pure and cheap,
so a stored output is scored again on every run with the current options and metric code.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from tvbench.data.inputs import ModelInput
from tvbench.data.media import MediaError
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.sample import Sample
from tvbench.tasks.base import Record, Task


def clean_float(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


SCORE_FIELDS = ("answer", "score", "metrics", "extra")


def scored_record(task: Task, sample: Sample, record: Record) -> Record:
    """``record`` with answer/score/metrics/extra computed from its raw output.

    Records without output (a data or model error) are returned unchanged.
    """
    output = record.get("output")
    if output is None:
        return record
    rec = {k: v for k, v in record.items() if k not in SCORE_FIELDS}
    rec.update(answer=None, score=None, error=None)
    try:  # a stored output of the wrong shape is a scoring failure like any other
        if isinstance(output, str):
            raw: Any = Generation(output, int(rec.get("n_tokens") or 0))
        else:
            raw = [LogLikelihood(o["total"] if o["total"] is not None else math.nan,
                                 o["mean"] if o["mean"] is not None else math.nan,
                                 int(o["n_tokens"])) for o in output]
        result = task.score(sample, raw)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        rec["error"] = f"scoring failed: {type(exc).__name__}: {exc}"
        return rec
    rec["answer"], rec["score"] = result.answer, result.score
    if result.metrics:
        rec["metrics"] = result.metrics
    if result.extra:
        rec["extra"] = result.extra
    return rec


@dataclass
class Item:
    sample: Sample
    requests: list[tuple[ModelInput, str | None]] = field(default_factory=list)
    input_hash: str = ""
    prompt: str = ""
    error: str | None = None


def prepare_item(task: Task, sample: Sample, generation: str) -> Item:
    """The item's requests and its input hash, which covers the rendered inputs, the media
    bytes, the candidates and the generation settings (``generation``, described)."""
    item = Item(sample)
    if sample.error:
        item.error = sample.error
        return item
    try:
        if task.kind == "generate":
            inp = task.build(sample)
            item.requests = [(inp, None)]
        else:
            item.requests = [(i, c) for i, c in task.candidates(sample)]
    except (KeyError, TypeError, ValueError, MediaError) as exc:
        item.error = f"cannot build input: {type(exc).__name__}: {exc}"
        return item
    h = hashlib.sha256(generation.encode() if task.kind == "generate" else b"")
    for inp, cont in item.requests:
        h.update(inp.fingerprint().encode())
        if cont is not None:
            h.update(b"\x00" + cont.encode())
    item.input_hash = h.hexdigest()
    first = item.requests[0][0].render()
    conts = [c for _, c in item.requests if c is not None]
    item.prompt = first + "".join(f"\n[candidate] {c}" for c in conts)
    return item
