"""What a run keeps per item: one frozen, deeply read-only record, and its JSON line.

The runner makes a record when the model answers; scoring makes a new record from it
(``dataclasses.replace``), and so do model-based scorers (COMET, a judge). Nothing changes a
record in place: its mappings are read-only views and its lists are tuples, so a record that
has been handed on can be trusted to stay what it was.

:meth:`ItemRecord.to_json` and :meth:`ItemRecord.from_json` are the line format of
``records/<task>.jsonl``. The keys are those tvbench has always written (``id``, ``lang``,
``input_hash``, ``prompt``, ``output``, ``answer``, ``score``, ``error``, and when they carry
something ``n_tokens``, ``target``, ``metrics``, ``stats``, ``extra``, ``thumb``), so older run
folders read back unchanged (``target`` and ``stats`` are newer: a record without them simply
has none). Lines are untrusted on the way in: a value of the wrong type is a
:class:`RecordFormatError` that names the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tvbench.data.outputs import Generation, LogLikelihood

#: A JSON value as a record holds it: objects are read-only mappings, arrays are tuples.
Json = Any
EMPTY: Mapping[str, Any] = MappingProxyType({})
#: The ``extra`` key under which a record's provenance is stored on disk.
PROVENANCE_KEY = "provenance"


class RecordFormatError(ValueError):
    """A stored line that is not an item record; the message names the field."""


def freeze(value: Any) -> Json:
    """A deeply read-only copy of a JSON-like value (dicts → read-only mappings, lists → tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Json) -> Any:
    """Plain ``dict``/``list`` JSON from a frozen value (for ``json.dumps``)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Continuation:
    """One candidate of a log-likelihood item and its log-probability under the model.

    ``total``/``mean`` are None where the model gave no finite number (JSON has no NaN).
    """

    text: str
    total: float | None
    mean: float | None
    n_tokens: int

    def loglikelihood(self) -> LogLikelihood:
        return LogLikelihood(math.nan if self.total is None else self.total,
                             math.nan if self.mean is None else self.mean, self.n_tokens)


#: What the model produced for an item: a generation, scored candidates, or nothing (an error).
Output = str | tuple[Continuation, ...] | None


@dataclass(frozen=True)
class ItemRecord:
    """One item of a run: its identity, what the model was asked and said, and the scores.

    ``metrics`` holds per-metric statistics (e.g. XCOMET, CC-OCR's F1 counts) and ``extra``
    task-specific detail (e.g. the judge's reply); ``provenance`` says which model-based
    scorer produced a value (``{"judge": "judge[…]"}``, ``{"comet": "model:…"}``).
    ``stats`` holds, per metric name, the item's sufficient statistics as the metric's
    aggregation sums them (BLEU's n-gram counts need the reference, which lives in the
    dataset): with them a run folder alone supports paired comparisons between runs.
    """

    id: str
    lang: str
    input_hash: str | None = None  # sha256 of prompt, media bytes and generation settings
    prompt: str = ""
    output: Output = None
    n_tokens: int | None = None  # tokens generated (generation items only)
    #: The gold answer(s) as the dataset gives them (``Task.target``), kept beside the output
    #: so a reader can judge an item without the dataset, as lmms-eval's sample logs allow.
    target: Json = None
    answer: Json = None  # what scoring extracted from the output
    score: float | None = None
    metrics: Mapping[str, float] = field(default_factory=lambda: EMPTY)
    stats: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: EMPTY)
    extra: Mapping[str, Json] = field(default_factory=lambda: EMPTY)
    error: str | None = None
    thumb: str | None = None  # thumbnail path, relative to the run folder
    provenance: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    def __post_init__(self) -> None:
        # The one place a record's fields are written: freezing its own values while it is
        # being created. Everything else makes a new record with dataclasses.replace.
        for name in ("target", "answer", "metrics", "stats", "extra", "provenance"):
            object.__setattr__(self, name, freeze(getattr(self, name)))
        if isinstance(self.output, list):
            object.__setattr__(self, "output", tuple(self.output))
        if PROVENANCE_KEY in self.extra:
            raise ValueError(f"extra key {PROVENANCE_KEY!r} is reserved for the provenance")

    # ------------------------------------------------------------------ views
    @property
    def text(self) -> str | None:
        """The generation, for generation items that have one."""
        return self.output if isinstance(self.output, str) else None

    @property
    def continuations(self) -> tuple[Continuation, ...]:
        """The scored candidates, for log-likelihood items that have them."""
        return self.output if isinstance(self.output, tuple) else ()

    def model_output(self) -> Generation | list[LogLikelihood] | None:
        """The output as :meth:`Task.score` takes it (None when there is none)."""
        if isinstance(self.output, str):
            return Generation(self.output, self.n_tokens or 0)
        if isinstance(self.output, tuple):
            return [c.loglikelihood() for c in self.output]
        return None

    # ------------------------------------------------------------------- JSON
    def to_json(self) -> dict[str, Any]:
        """The JSONL line as a dict; optional keys only when they carry something."""
        out: dict[str, Any] = {"id": self.id, "lang": self.lang, "input_hash": self.input_hash,
                               "prompt": self.prompt, "output": _output_json(self.output)}
        if self.n_tokens is not None:
            out["n_tokens"] = self.n_tokens
        if self.target is not None:
            out["target"] = thaw(self.target)
        out["answer"] = thaw(self.answer)
        out["score"] = self.score
        if self.metrics:
            out["metrics"] = thaw(self.metrics)
        if self.stats:
            out["stats"] = thaw(self.stats)
        extra = thaw(self.extra)
        if self.provenance:
            extra[PROVENANCE_KEY] = thaw(self.provenance)
        if extra:
            out["extra"] = extra
        out["error"] = self.error
        if self.thumb is not None:
            out["thumb"] = self.thumb
        return out

    @classmethod
    def from_json(cls, raw: Any) -> ItemRecord:
        """A record from a parsed JSONL line; :class:`RecordFormatError` names a bad field."""
        if not isinstance(raw, Mapping):
            raise RecordFormatError(f"expected a JSON object, got {type(raw).__name__}")
        extra = dict(_mapping(raw, "extra"))
        provenance = extra.pop(PROVENANCE_KEY, {})
        if not isinstance(provenance, Mapping) or not all(
                isinstance(v, str) for v in provenance.values()):
            raise RecordFormatError(f"field 'extra.{PROVENANCE_KEY}': expected an object of "
                                    f"strings, got {provenance!r:.80}")
        metrics = _mapping(raw, "metrics")
        for key, value in metrics.items():
            if not _is_number(value):
                raise RecordFormatError(f"field 'metrics.{key}': expected a number, got "
                                        f"{value!r:.80}")
        stats = _mapping(raw, "stats")
        for key, value in stats.items():
            if not isinstance(value, list) or not all(_is_number(v) for v in value):
                raise RecordFormatError(f"field 'stats.{key}': expected a list of numbers, "
                                        f"got {value!r:.80}")
        return cls(
            id=_id(raw), lang=_typed(raw, "lang", str, required=True),
            input_hash=_typed(raw, "input_hash", str), prompt=_typed(raw, "prompt", str) or "",
            output=_output(raw.get("output")), n_tokens=_typed(raw, "n_tokens", int),
            target=raw.get("target"), answer=raw.get("answer"), score=_number(raw, "score"),
            metrics=metrics, stats=stats, extra=extra, error=_typed(raw, "error", str),
            thumb=_typed(raw, "thumb", str), provenance=provenance)

    @classmethod
    def unreadable(cls, raw: Mapping[str, Any], problem: str) -> ItemRecord:
        """An error record standing in for a stored line that is not a record.

        It keeps what identifies the item (so a resumed run still checks its inputs) and
        says what was wrong; ``--retry-errors`` runs the item again.
        """
        def keep(name: str) -> str | None:
            value = raw.get(name)
            return value if isinstance(value, str) else None

        return cls(id=str(raw.get("id")), lang=keep("lang") or "und",
                   input_hash=keep("input_hash"), prompt=keep("prompt") or "",
                   error=f"unreadable stored record: {problem}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _id(raw: Mapping[str, Any]) -> str:
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordFormatError(f"field 'id': expected a string, got {value!r:.80}")
    return str(value)


def _typed(raw: Mapping[str, Any], name: str, kind: type, required: bool = False) -> Any:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise RecordFormatError(f"field {name!r}: expected {kind.__name__}"
                                f"{'' if required else ' or null'}, got {value!r:.80}")
    return value


def _number(raw: Mapping[str, Any], name: str) -> float | None:
    value = raw.get(name)
    if value is not None and not _is_number(value):
        raise RecordFormatError(f"field {name!r}: expected a number or null, got {value!r:.80}")
    return value


def _mapping(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RecordFormatError(f"field {name!r}: expected an object, got {value!r:.80}")
    return value


def _output(value: Any) -> Output:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise RecordFormatError(f"field 'output': expected a string, a list of candidates or "
                                f"null, got {value!r:.80}")
    out = []
    for i, c in enumerate(value):
        where = f"field 'output[{i}]'"
        if not isinstance(c, Mapping) or not isinstance(c.get("continuation"), str):
            raise RecordFormatError(f"{where}: expected a candidate with a 'continuation', "
                                    f"got {c!r:.80}")
        if any(c.get(k) is not None and not _is_number(c.get(k)) for k in ("total", "mean")):
            raise RecordFormatError(f"{where}: 'total' and 'mean' must be numbers or null")
        n = c.get("n_tokens")
        if isinstance(n, bool) or not isinstance(n, int):
            raise RecordFormatError(f"{where}: 'n_tokens' must be an integer, got {n!r:.80}")
        out.append(Continuation(c["continuation"], c.get("total"), c.get("mean"), n))
    return tuple(out)


def _output_json(output: Output) -> Any:
    if isinstance(output, tuple):
        return [{"continuation": c.text, "total": c.total, "mean": c.mean,
                 "n_tokens": c.n_tokens} for c in output]
    return output
