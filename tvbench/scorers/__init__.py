"""Model-based scorers (COMET, LLM judges): external, cached, and reported when absent.

Pure metrics live in :mod:`tvbench.metrics`; these need a model of their own, so they run
after generation, and a task whose scorer is missing reports "not scored" instead of
quietly switching to another metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tvbench.scorers.comet_cache import CachedComet
    from tvbench.scorers.judge import Judge


@dataclass(frozen=True)
class Scorers:
    """The run's model-based scorers, as handed to ``Task.rescore``.

    Implements the :class:`tvbench.tasks.scoring.Scorers` protocol (tasks see only that).
    ``comet``/``judge`` are None when unavailable; ``*_problem`` then says why, and tasks
    copy that reason into their "not scored" status.
    """

    comet: CachedComet | None = None
    comet_problem: str | None = "COMET is not configured ([comet] in tvbench.toml)"
    judge: Judge | None = None
    judge_problem: str | None = "no judge configured ([judge] model in tvbench.toml)"


def build_scorers(config: Any) -> Scorers:
    """Scorers from the ``[comet]`` and ``[judge]`` tables; nothing heavy is loaded here.

    COMET answers from its segment cache first (:mod:`tvbench.scorers.comet_cache`), and one
    client serves the whole run, so a model that cannot load is tried once per run.
    """
    from tvbench.scorers.comet import comet_from_config
    from tvbench.scorers.comet_cache import CachedComet, CometScoreCache, default_cache_file
    from tvbench.scorers.judge import judge_from_config

    client, comet_problem = comet_from_config(config)
    comet = (CachedComet(client, CometScoreCache(default_cache_file()))
             if client is not None else None)
    judge, judge_problem = judge_from_config(config)
    return Scorers(comet=comet, comet_problem=comet_problem, judge=judge,
                   judge_problem=judge_problem)
