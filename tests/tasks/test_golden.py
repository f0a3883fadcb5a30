"""Golden prompts: a task's rendered prompts may only change together with its version.

For each task (and each option that changes prompts) a few bundled items — the first item
of up to three languages — are rendered and compared with ``golden/<case>.json``. Regenerate
after a deliberate change (and a version bump) with ``TVBENCH_UPDATE_GOLDEN=1 pytest
tests/tasks/test_golden.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tvbench.tasks.base import Task
from tvbench.tasks.registry import TASKS

GOLDEN = Path(__file__).with_name("golden")

CASES: list[tuple[str, dict[str, Any]]] = [
    ("textvqa", {}),
    ("ocrbench", {}),
    ("cc_ocr", {"tracks": "all"}),
    ("multi30k", {}),
    ("commute", {"variant": "contrastive"}),
    ("commute", {"variant": "generative"}),
    ("alm_bench", {"protocol": "paper"}),
    ("alm_bench", {"protocol": "paper-a", "system_prompt": "iclr-script"}),
    ("alm_bench", {"protocol": "answer-text"}),
    ("alm_bench", {"protocol": "official"}),
    ("vimul_bench", {}),
]


def _name(task: str, options: dict[str, Any]) -> str:
    return "-".join([task, *(f"{k}={v}" for k, v in sorted(options.items()))])


def _render(task: Task) -> list[dict[str, Any]]:
    samples = [s for s in task.load(task.bundled_source()) if not s.error]
    picked, langs = [], []
    for s in samples:
        if s.lang not in langs and len(langs) < 3:
            langs.append(s.lang)
            picked.append(s)
    items = []
    for s in picked:
        media = [m.digest for m in s.media]
        if task.kind == "generate":
            items.append({"id": s.id, "lang": s.lang, "prompt": task.build(s).render(),
                          "media": media})
        else:
            pairs = task.candidates(s)
            items.append({"id": s.id, "lang": s.lang, "prompt": pairs[0][0].render(),
                          "candidates": [c for _, c in pairs], "media": media})
    return items


@pytest.mark.parametrize("task_name,options", CASES, ids=[_name(t, o) for t, o in CASES])
def test_prompts_change_only_with_the_version(task_name: str, options: dict[str, Any]) -> None:
    cls = TASKS.get(task_name)
    current = {"task": task_name, "options": options, "version": cls.version,
               "items": _render(cls(**options))}
    path = GOLDEN / f"{_name(task_name, options)}.json"
    if os.environ.get("TVBENCH_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    golden = json.loads(path.read_text("utf-8"))
    if golden["version"] != cls.version:
        pytest.fail(f"{task_name} is now version {cls.version} (golden: {golden['version']}): "
                    "regenerate with TVBENCH_UPDATE_GOLDEN=1")
    assert len(current["items"]) == len(golden["items"]) >= 1
    for old, new in zip(golden["items"], current["items"], strict=True):
        assert new == old, (f"{task_name} item {old['id']}: the prompt or its media changed "
                            f"without a version bump; bump {cls.__name__}.version")
