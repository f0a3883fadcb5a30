"""Model-based scorers (COMET, LLM judges): external, cached, and reported when absent.

Pure metrics live in :mod:`tvbench.metrics`; these need a model of their own, so they run
after generation, and a task whose scorer is missing reports "not scored" instead of
quietly switching to another metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Scorers:
    """What model-based scoring is available to tasks during ``Task.rescore``."""

    comet: Any = None  # tvbench.scorers.comet.CometClient
    comet_problem: str | None = "COMET is not configured"
    judge: Any = None  # tvbench.scorers.judge.Judge
    judge_problem: str | None = "no judge configured ([judge] model in tvbench.toml)"


def build_scorers(config: Any) -> Scorers:
    """Scorers from the ``[comet]`` and ``[judge]`` tables; nothing heavy is loaded here."""
    return Scorers()
