"""Ordered tree edit distance (Zhang & Shasha 1989) with caller-supplied costs.

CC-OCR's KIE ``acc`` is Donut's normalised tree edit distance, computed upstream with the
``zss`` package. tvbench does not depend on ``zss``; this is an independent implementation
of the same algorithm (the optimum is unique, so any correct implementation returns the same
number) and is tested against ``zss`` where it is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

N = TypeVar("N")


def _postorder(root: N, children: Callable[[N], Sequence[N]]) -> tuple[list[N], list[int]]:
    """Nodes in post-order and, for each, the post-order index of its leftmost leaf."""
    nodes: list[N] = []
    leftmost: list[int] = []
    stack: list[tuple[N, int]] = [(root, 0)]
    first_leaf: list[int] = []  # leftmost-leaf indices of finished nodes awaiting their parent
    while stack:
        node, k = stack.pop()
        kids = children(node)
        if k < len(kids):
            stack.append((node, k + 1))
            stack.append((kids[k], 0))
            continue
        index = len(nodes)
        nodes.append(node)
        # a node's leftmost leaf is its first child's leftmost leaf, or itself for a leaf
        own = index
        if kids:
            own = first_leaf[-len(kids)]
            del first_leaf[-len(kids):]
        leftmost.append(own)
        first_leaf.append(own)
    return nodes, leftmost


def tree_edit_distance(a: N, b: N, children: Callable[[N], Sequence[N]],
                       insert_cost: Callable[[N], float], remove_cost: Callable[[N], float],
                       update_cost: Callable[[N, N], float]) -> float:
    """Minimum cost of removals, insertions and relabels turning tree ``a`` into ``b``."""
    n1, l1 = _postorder(a, children)
    n2, l2 = _postorder(b, children)
    keyroots1 = sorted({lm: i for i, lm in enumerate(l1)}.values())
    keyroots2 = sorted({lm: j for j, lm in enumerate(l2)}.values())
    tree: list[list[float]] = [[0] * len(n2) for _ in n1]
    for i in keyroots1:
        for j in keyroots2:
            li, lj = l1[i], l2[j]
            rows, cols = i - li + 2, j - lj + 2
            fd: list[list[float]] = [[0] * cols for _ in range(rows)]
            for x in range(1, rows):
                fd[x][0] = fd[x - 1][0] + remove_cost(n1[li + x - 1])
            for y in range(1, cols):
                fd[0][y] = fd[0][y - 1] + insert_cost(n2[lj + y - 1])
            for x in range(1, rows):
                xi = li + x - 1
                for y in range(1, cols):
                    yj = lj + y - 1
                    delete = fd[x - 1][y] + remove_cost(n1[xi])
                    insert = fd[x][y - 1] + insert_cost(n2[yj])
                    if l1[xi] == li and l2[yj] == lj:
                        fd[x][y] = min(delete, insert,
                                       fd[x - 1][y - 1] + update_cost(n1[xi], n2[yj]))
                        tree[xi][yj] = fd[x][y]
                    else:
                        fd[x][y] = min(delete, insert,
                                       fd[l1[xi] - li][l2[yj] - lj] + tree[xi][yj])
    return tree[-1][-1]
