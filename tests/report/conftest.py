"""Fixtures for report tests: a multi-language pair of comparable runs with item records."""

from __future__ import annotations

from pathlib import Path

import pytest

from .synthetic import jpeg, record, task_block, write_run


@pytest.fixture
def multilang_runs(tmp_path: Path) -> Path:
    """Two comparable models on a 4-language task + a single-language task; one with a list of
    seen languages (de, en), one without; the first also has item records and thumbnails."""
    root = tmp_path / "runs"
    seen = ["en", "de"]
    a_scores = {"en": 80.0, "de": 70.0, "sw": 40.0, "is": 50.0}
    b_scores = {"en": 60.0, "de": 65.0, "sw": 55.0, "is": 45.0}
    recs = [record(f"{lang}{i}", lang, output=f"out-{lang}{i}", answer=f"ans-{lang}{i}",
                   score=1.0 if i % 2 else 0.0, target=f"gold-{lang}{i}")
            for lang in ("en", "de", "sw", "is") for i in range(10)]
    thumbs = {("mvqa", f"{lang}{i}"): jpeg() for lang in ("en", "de", "sw", "is")
              for i in range(2)}
    write_run(root, "alpha", "alpha-3b",
              {"mvqa": task_block("mvqa", a_scores, "org/alpha-3b", seen=seen),
               "ocr": task_block("ocr", {"en": 30.0}, "org/alpha-3b", seen=seen)},
              seen=seen, records={"mvqa": recs}, thumbs=thumbs)
    write_run(root, "beta", "beta-7b",
              {"mvqa": task_block("mvqa", b_scores, "org/beta-7b"),
               "ocr": task_block("ocr", {"en": 90.0}, "org/beta-7b")},
              records={"mvqa": [record(r["id"], r["lang"], output=f"b-{r['id']}")
                                for r in recs]})
    return root

