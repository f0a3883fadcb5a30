"""CC-OCR key information extraction: JSON from the output, field F1 and Donut nTED accuracy.

Reimplements the official ``kie_evaluator.py`` (CC-OCR @ ``fb6187eb``, itself from Donut):

* parsing (``post_process_to_json``): the first ```` ```json … ``` ```` block if the text has
  one, else the whole text; newlines deleted; ``json.loads``. Anything that fails — an
  unterminated ```` ```json ```` block, a plain ```` ``` ```` fence, a Python dict — gives
  None, which the evaluator scores as an empty prediction ``{}``. JSON ``null`` is None too;
* value normalisation: full-width → half-width (plus ``、`` → ``,``) and a fixed regex chain
  for spaces, applied to strings in dicts only — strings sitting directly in a list are NOT
  normalised (lmms-eval 0.7.3 normalises them; the official code and VLMEvalKit do not);
* ``normalize_dict``: keys sorted by (length, key), scalars wrapped in lists, empty values
  dropped except ``""`` (``[""]`` is truthy), ``null`` → ``"None"``, ``7`` → ``"7"``;
* ``f1_score`` = TP / (TP + (FP+FN)/2 + 1e-6) over all fields of a subset (micro);
* ``acc`` = mean over items of max(0, 1 − TED(pred, gt) / TED(∅, gt)), divided by N + 1e-6.

The tree edit distance is ``zss.distance`` with the official insert/remove/update costs, as
upstream; the leaf distance is the uncapped Levenshtein of :mod:`tvbench.metrics.edit_distance`
(upstream: ``nltk.edit_distance``, whose 2000-item cap would raise on very long leaves). A GT
that normalises to an empty tree scores 0 (upstream: nan/inf → 0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tvbench.metrics.aggregate import Aggregation
from tvbench.metrics.edit_distance import levenshtein

F1_EPS = 1e-6
ACC_EPS = 1e-6
LEAF = "<leaf>"
_JSON_BLOCK = re.compile(r"```json(.*?)```", re.DOTALL)

# (pattern, replacement) in the official order (kie_evaluator.py:346-358)
_SPACE_RULES = [
    (re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"), ""),
    (re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[a-zA-Z0-9])"), ""),
    (re.compile(r"(?<=[a-zA-Z0-9])\s+(?=[\u4e00-\u9fff])"), ""),
    (re.compile(r"(?<![0-9])\s*([,.!?:;])\s*"), r"\1 "),
    (re.compile(r"(?<=[0-9])(?=[a-zA-Z])"), " "),
    (re.compile(r"(?<=[a-zA-Z])(?=[0-9])"), " "),
    (re.compile(r"\s+"), " "),
]


def parse_prediction(text: str) -> Any:
    """The official ``post_process_to_json``: parsed JSON, or None when it fails."""
    try:
        if "```json" in text:
            match = _JSON_BLOCK.search(text)
            if match is None:
                return None
            body = match.group(1).strip().replace("\n", "")
        else:
            body = text.strip().replace("\n", "")
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def parse_ground_truth(answer: Any) -> Any:
    """GT answers are JSON strings; a malformed one raises ValueError (upstream crashes)."""
    if isinstance(answer, str):
        return json.loads(answer)
    return answer


def fullwidth_to_halfwidth(text: str) -> str:
    """U+3000 → space, U+FF01..U+FF5E → ASCII, then ``、`` → ``,`` (KIE only)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0x3000:
            out.append(" ")
        elif 0xFF01 <= cp <= 0xFF5E:
            out.append(chr(cp - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out).replace("、", ",")


def normalize_text(text: Any) -> str:
    """The official ``KieEvaluator.normalize_func``."""
    out = fullwidth_to_halfwidth(str(text))
    for pattern, repl in _SPACE_RULES:
        out = pattern.sub(repl, out)
    return out


def normalize_values(data: Any, func: Callable[[Any], str] = normalize_text) -> Any:
    """Official ``normalize_values_of_nested_dict``: lists only recurse into their dicts."""
    if isinstance(data, dict):
        return {k: normalize_values(v, func) for k, v in data.items()}
    if isinstance(data, list):
        return [normalize_values(x, func) if isinstance(x, dict) else x for x in data]
    if isinstance(data, str):
        return func(data)
    return data


def normalize_dict(data: Any) -> Any:
    """Donut's ``normalize_dict``: sorted keys, list-wrapped values, empty values dropped."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key in sorted(data, key=lambda k: (len(k), k)):
            value = normalize_dict(data[key])
            if value:
                out[key] = value if isinstance(value, list) else [value]
        return out
    if isinstance(data, list):
        if all(isinstance(x, dict) for x in data):
            return [d for d in (normalize_dict(x) for x in data) if d]
        return [str(x).strip() for x in data
                if type(x) in (str, int, float) and str(x).strip()]
    return [str(data).strip()]


def flatten(data: Any) -> list[tuple[str, Any]]:
    """(dotted.key, leaf) pairs; list items share their parent's key."""
    out: list[tuple[str, Any]] = []

    def walk(value: Any, key: str) -> None:
        if type(value) is dict:
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else k)
        elif type(value) is list:
            for v in value:
                walk(v, key)
        else:
            out.append((key, value))

    walk(data, "")
    return out


@dataclass(frozen=True)
class KieItem:
    """One item: matched fields, unmatched fields on either side, and its nTED accuracy."""

    tp: int
    fp_fn: int
    acc: float

    @property
    def f1(self) -> float:
        """This item alone under the subset formula (the subset F1 pools tp and fp_fn)."""
        return float(f1_from_counts(self.tp, self.fp_fn))


def field_counts(pred: Any, gt: Any) -> tuple[int, int]:
    """(TP, FP + FN) of one item after ``normalize_dict`` + ``flatten`` (multiset match)."""
    remaining = flatten(normalize_dict(gt))
    tp = fp_fn = 0
    for field in flatten(normalize_dict(pred)):
        if field in remaining:
            tp += 1
            remaining.remove(field)
        else:
            fp_fn += 1
    return tp, fp_fn + len(remaining)


@dataclass
class _Node:
    label: str
    children: list[_Node]


def _tree(data: Any, name: str = "<root>") -> _Node:
    node = _Node(name, [])
    if isinstance(data, dict):
        node.children = [_tree(v, k) for k, v in data.items()]
    elif isinstance(data, list):
        if all(isinstance(x, dict) for x in data):
            node.children = [_tree(x, "<subtree>") for x in data]
        else:
            node.children = [_Node(f"{LEAF}{x}", []) for x in data]
    else:
        raise ValueError(f"unexpected KIE tree node {data!r} under {name!r}")
    return node


def _insert_remove(node: _Node) -> int:
    return len(node.label.replace(LEAF, "")) if LEAF in node.label else 1


def _update(a: _Node, b: _Node) -> int:
    a_leaf, b_leaf = LEAF in a.label, LEAF in b.label
    if a_leaf and b_leaf:
        return levenshtein(a.label.replace(LEAF, ""), b.label.replace(LEAF, ""))
    if a_leaf or b_leaf:
        return 1 + len((b.label if b_leaf else a.label).replace(LEAF, ""))
    return int(a.label != b.label)


def _ted(a: _Node, b: _Node) -> float:
    import zss

    return float(zss.distance(a, b, get_children=lambda n: n.children,
                              insert_cost=_insert_remove, remove_cost=_insert_remove,
                              update_cost=_update))


def nted_accuracy(pred: Any, gt: Any) -> float:
    """max(0, 1 − TED(pred, gt) / TED(empty, gt)); 0 when the GT tree is empty."""
    gt_tree = _tree(normalize_dict(gt))
    denom = _ted(_tree(normalize_dict({})), gt_tree)
    if denom == 0:
        return 0.0
    return max(0.0, 1 - _ted(_tree(normalize_dict(pred)), gt_tree) / denom)


def score_item(prediction: str, ground_truth: Any) -> KieItem:
    """Score raw model text against a GT (JSON string or parsed value)."""
    parsed = parse_prediction(prediction)
    pred = normalize_values({} if parsed is None else parsed)
    gt = normalize_values(parse_ground_truth(ground_truth))
    tp, fp_fn = field_counts(pred, gt)
    return KieItem(tp, fp_fn, float(nted_accuracy(pred, gt)))


def f1_from_counts(tp: Any, fp_fn: Any) -> Any:
    """The official ``f1_score`` formula; floats or numpy arrays alike."""
    return tp / (tp + fp_fn / 2 + F1_EPS)


def subset_f1(items: Sequence[KieItem]) -> float:
    """Official ``f1_score`` of a subset: pooled TP and FP+FN."""
    return f1_from_counts(sum(i.tp for i in items), sum(i.fp_fn for i in items))


def subset_acc(items: Sequence[KieItem]) -> float:
    """Official ``acc`` of a subset: Σ acc_i / (N + 1e-6)."""
    return sum(i.acc for i in items) / (len(items) + ACC_EPS)


def _f1_finalize(s: np.ndarray) -> np.ndarray:
    return np.asarray(f1_from_counts(s[..., 0], s[..., 1]), dtype=float)


def _acc_finalize(s: np.ndarray) -> np.ndarray:
    return np.asarray(s[..., 0] / (s[..., 1] + ACC_EPS), dtype=float)


#: Field F1 from ``[tp, fp_fn]`` stats.
FIELD_F1 = Aggregation("kie_field_f1", 2, _f1_finalize)
#: nTED accuracy from ``[acc_i, 1]`` stats with the official ``N + 1e-6`` denominator.
NTED_ACC = Aggregation("kie_nted_acc", 2, _acc_finalize)
