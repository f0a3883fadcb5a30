"""Zhang–Shasha tree edit distance: hand-computed cases and the zss package."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvbench.metrics.tree_edit import tree_edit_distance


@dataclass
class T:
    label: str
    kids: list[T] = field(default_factory=list)


def _unit(a: T, b: T) -> float:
    return tree_edit_distance(a, b, lambda n: n.kids, lambda n: 1, lambda n: 1,
                              lambda x, y: int(x.label != y.label))


# (tree a, tree b, distance) — hand-computed with unit costs
TABLE = [
    pytest.param(T("a"), T("a"), 0, id="hand:identical-leaf"),
    pytest.param(T("a"), T("b"), 1, id="hand:relabel"),
    pytest.param(T("r", [T("a"), T("b")]), T("r", [T("a")]), 1, id="hand:delete-leaf"),
    pytest.param(T("r", [T("a"), T("b")]), T("r", [T("b"), T("a")]), 2, id="hand:swap=2-relabels"),
    pytest.param(T("r", [T("x", [T("a"), T("b")])]), T("r", [T("a"), T("b")]), 1,
                 id="hand:delete-inner-node-keeps-children"),
    # Zhang & Shasha 1989, Fig. 1: f(d(a,c(b)),e) -> f(c(d(a,b)),e) costs 2
    pytest.param(T("f", [T("d", [T("a"), T("c", [T("b")])]), T("e")]),
                 T("f", [T("c", [T("d", [T("a"), T("b")])]), T("e")]), 2,
                 id="zhang-shasha-1989-fig1"),
]


@pytest.mark.parametrize("a,b,expected", TABLE)
def test_table(a: T, b: T, expected: int) -> None:
    assert _unit(a, b) == expected


def _trees(max_depth: int = 3) -> st.SearchStrategy[T]:
    labels = st.sampled_from(["a", "b", "c", "<leaf>xy", "<leaf>x", "<leaf>"])
    return st.recursive(labels.map(T), lambda kids: st.builds(T, labels, st.lists(kids,
                                                                                   max_size=3)),
                        max_leaves=10)


def _costs() -> tuple:
    from tvbench.metrics.edit_distance import levenshtein

    def ins(n: object) -> int:
        label = n.label  # type: ignore[attr-defined]
        return len(label.replace("<leaf>", "")) if "<leaf>" in label else 1

    def upd(x: object, y: object) -> int:
        a, b = x.label, y.label  # type: ignore[attr-defined]
        if "<leaf>" in a and "<leaf>" in b:
            return levenshtein(a.replace("<leaf>", ""), b.replace("<leaf>", ""))
        if "<leaf>" in a or "<leaf>" in b:
            return 1 + len((b if "<leaf>" in b else a).replace("<leaf>", ""))
        return int(a != b)

    return ins, upd


@settings(max_examples=300, deadline=None)
@given(_trees(), _trees())
def test_equals_zss_with_donut_costs(a: T, b: T) -> None:
    """Differential test against zss 1.2 (what the official KIE evaluator calls)."""
    zss = pytest.importorskip("zss")

    def to_zss(t: T) -> object:
        node = zss.Node(t.label)
        for k in t.kids:
            node.addkid(to_zss(k))
        return node

    ins, upd = _costs()
    mine = tree_edit_distance(a, b, lambda n: n.kids, ins, ins, upd)
    theirs = zss.distance(to_zss(a), to_zss(b), zss.Node.get_children, ins, ins, upd)
    assert mine == theirs
