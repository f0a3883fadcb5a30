"""From an item to its record: the requests it makes of a model, and the scored record of
what came back.

:func:`prepare` renders an item's requests and its input hash; :func:`record_of` turns the
model's answer into an :class:`ItemRecord`; :func:`scored` scores a record with the task's
current options. Scoring is pure and cheap, so a stored output is scored again on every run
with the current metric code, and a resumed run never mixes old and new scores.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import Any

from tvbench.data.inputs import ModelInput
from tvbench.data.item import Item
from tvbench.data.media import MediaError
from tvbench.data.outputs import Generation, LogLikelihood
from tvbench.data.record import EMPTY, Continuation, ItemRecord, freeze
from tvbench.tasks.base import Task


@dataclass(frozen=True)
class Prepared:
    """An item ready for the model: its requests (one generation input, or one input per
    candidate continuation), the hash that identifies them, and a readable prompt."""

    item: Item
    requests: tuple[tuple[ModelInput, str | None], ...] = ()
    input_hash: str = ""
    prompt: str = ""
    error: str | None = None


def prepare(task: Task, item: Item, generation: str) -> Prepared:
    """The item's requests and its input hash, which covers the rendered inputs, the media
    bytes, the candidates and how the model is asked (``generation``: the decoding settings
    of a generation task, the scoring span of a log-likelihood task, described)."""
    if item.error:
        return Prepared(item, error=item.error)
    try:
        if task.kind == "generate":
            requests: tuple[tuple[ModelInput, str | None], ...] = ((task.build(item), None),)
        else:
            requests = tuple((i, c) for i, c in task.candidates(item))
    except (KeyError, TypeError, ValueError, MediaError) as exc:
        return Prepared(item, error=f"cannot build input: {type(exc).__name__}: {exc}")
    h = hashlib.sha256(generation.encode())
    for inp, cont in requests:
        h.update(inp.fingerprint().encode())
        if cont is not None:
            h.update(b"\x00" + cont.encode())
    conts = [c for _, c in requests if c is not None]
    prompt = requests[0][0].render() + "".join(f"\n[candidate] {c}" for c in conts)
    return Prepared(item, requests, h.hexdigest(), prompt)


def _finite(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


def record_of(prepared: Prepared, output: Generation | list[LogLikelihood] | None,
              thumb: str | None = None) -> ItemRecord:
    """The unscored record of one item: what the model said, or why it said nothing."""
    item = prepared.item
    record = ItemRecord(id=item.id, lang=item.lang, input_hash=prepared.input_hash or None,
                        prompt=prepared.prompt, error=prepared.error, thumb=thumb)
    if isinstance(output, Generation):
        if output.error is not None:
            return replace(record, error=output.error)
        return replace(record, output=output.text, n_tokens=output.n_tokens)
    if isinstance(output, list):
        errors = [ll.error for ll in output if ll.error]
        if errors:
            return replace(record, error=errors[0])
        return replace(record, output=tuple(
            Continuation(c or "", _finite(ll.total), _finite(ll.mean), ll.n_tokens)
            for (_, c), ll in zip(prepared.requests, output, strict=True)))
    return record


def gold(task: Task, item: Item) -> Any:
    """The item's reference answer(s) for its record; None for a broken item (its fields
    may be missing, and the record already says why)."""
    if item.error:
        return None
    try:
        return task.target(item)
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def scored(task: Task, item: Item, record: ItemRecord) -> ItemRecord:
    """``record`` with target, answer, score, metrics and extra computed afresh.

    A record without output (a data or model error) keeps its error and gets only the
    item's target; a scoring failure becomes the record's error.
    """
    target = freeze(gold(task, item))
    output = record.model_output()
    if output is None:
        return record if record.target == target else replace(record, target=target)
    base = replace(record, target=target, answer=None, score=None, metrics=EMPTY, extra=EMPTY,
                   error=None, provenance=EMPTY)
    try:
        result = task.score(item, output)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return replace(base, error=f"scoring failed: {type(exc).__name__}: {exc}")
    return replace(base, answer=result.answer, score=result.score, metrics=result.metrics,
                   extra=result.extra)
