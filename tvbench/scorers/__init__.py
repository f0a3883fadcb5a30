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
    """What model-based scoring is available to tasks during ``Task.rescore``.

    ``comet``/``judge`` are None when unavailable; ``*_problem`` then says why, and tasks
    copy that reason into their "not scored" status.
    """

    comet: Any = None  # tvbench.scorers.comet.CometClient
    comet_problem: str | None = "COMET is not configured ([comet] in tvbench.toml)"
    judge: Any = None  # tvbench.scorers.judge.Judge
    judge_problem: str | None = "no judge configured ([judge] model in tvbench.toml)"


def build_scorers(config: Any) -> Scorers:
    """Scorers from the ``[comet]`` and ``[judge]`` tables; nothing heavy is loaded here."""
    from tvbench.scorers.comet import comet_from_config
    from tvbench.scorers.judge import judge_from_config

    comet, comet_problem = comet_from_config(config)
    judge, judge_problem = judge_from_config(config)
    return Scorers(comet=comet, comet_problem=comet_problem, judge=judge,
                   judge_problem=judge_problem)
