"""The task registry: built-in benchmarks, entry points, and extra task folders."""

from __future__ import annotations

from typing import TypeVar

from tvbench.registry import Registry
from tvbench.tasks.base import Task

#: Built-in tasks live in the top-level ``tasks/`` folder, installed as ``tvbench_tasks``.
BUILTIN_TASKS = {
    "alm_bench": "tvbench_tasks.alm_bench:ALMBench",
    "multi30k": "tvbench_tasks.multi30k:Multi30K",
    "commute": "tvbench_tasks.commute:CoMMuTE",
    "vimul_bench": "tvbench_tasks.vimul_bench:ViMULBench",
    "textvqa": "tvbench_tasks.textvqa:TextVQA",
    "ocrbench": "tvbench_tasks.ocrbench:OCRBench",
    "cc_ocr": "tvbench_tasks.cc_ocr:CCOCR",
}

TASKS: Registry[type[Task]] = Registry("task", "tvbench.tasks", BUILTIN_TASKS)

T = TypeVar("T", bound=type[Task])


def register_task(cls: T) -> T:
    """Class decorator for tasks defined outside tvbench (extra task folders, plugins)."""
    TASKS.add(cls.name, cls)
    return cls
