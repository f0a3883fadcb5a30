"""Before any model loads: the bundled data sets loaded, the hub's reachability known.

The bundled sets are a few dozen items each, shipped with tvbench. Loading them once here
means every model of the run shares them (the default plan loaded each set four times), and
a task with no items for the chosen languages fails before any model has loaded, not after
the tasks before it have run. Hub and local data sets are read by the runner, one task at a
time, as before; their languages are checked against what each task declares.

A run that needs the hub (a hub id, ``--data hub``) learns whether it can be reached once,
here, and fails at once, naming what is missing, when it cannot (:func:`check_hub`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tvbench.data import hub
from tvbench.data.loading import HubDataset
from tvbench.models.registry import ModelEntry
from tvbench.runs.checks import PlanError
from tvbench.runs.runner import TaskPlan, language_choice


def preload_bundled(plans: Sequence[TaskPlan], languages: str | Sequence[str],
                    limit: int | None) -> tuple[TaskPlan, ...]:
    """``plans`` with the items of bundled sources loaded; an empty task is a PlanError.

    ``languages`` is the run's choice (a preset such as "paper", or codes), resolved per
    task exactly as the runner does.
    """
    out = []
    for plan in plans:
        if plan.items is not None or plan.source != plan.task.bundled_source():
            out.append(plan)
            continue
        chosen, _ = language_choice(plan.task, languages)
        items = plan.task.load(plan.source, chosen, limit)
        if not items:
            has = sorted({it.lang for it in plan.task.load(plan.source)})
            raise PlanError(f"task {plan.task.name!r}: its bundled data set has no items in "
                            f"{', '.join(sorted(chosen or ()))} (it has {', '.join(has)}); "
                            "choose other --languages or read the real data set with "
                            "--data hub")
        out.append(replace(plan, items=tuple(items)))
    return tuple(out)


class HubUnreachableError(RuntimeError):
    """The run needs files from the Hugging Face hub that cannot be had (offline, uncached)."""


def hub_needs(entries: Sequence[ModelEntry], plans: Sequence[TaskPlan]
              ) -> list[tuple[str, str, str | None]]:
    """``(kind, repo, revision)`` of every checkpoint and data set the run reads from the hub.
    """
    out: list[tuple[str, str, str | None]] = []
    for entry in entries:
        if (entry.backend in ("hf", "vllm") and not entry.tiny and entry.path
                and hub.looks_like_hub_id(entry.path)):
            out.append(("model", entry.path, entry.revision))
    for plan in plans:
        if isinstance(plan.source, HubDataset) and plan.items is None:
            out.append(("dataset", plan.source.repo, plan.source.revision))
    return out


def check_hub(entries: Sequence[ModelEntry], plans: Sequence[TaskPlan]) -> str | None:
    """Make sure the hub files the run needs can be had, asking the hub at most once.

    Returns None when the hub answered (or nothing is needed from it), else why the run is
    offline (then this process is switched to offline mode, so what is cached loads at
    once). Raises :class:`HubUnreachableError`, one message naming each missing id, its
    revision and ``HF_HUB_OFFLINE``, when something needed is not in the local cache.
    """
    needs = hub_needs(entries, plans)
    if not needs:
        return None
    if hub.offline_by_env():
        why = "HF_HUB_OFFLINE is set"
    else:
        problem = hub.probe()
        if problem is None:
            return None
        why = f"the hub at {hub.endpoint()} cannot be reached ({problem})"
    hub.go_offline()
    missing = [(kind, repo, rev) for kind, repo, rev in needs
               if not (hub.model_cached(repo, rev) if kind == "model"
                       else hub.dataset_cached(repo, rev))]
    if not missing:
        return why
    lines = [f"{kind} {repo!r} at revision {rev or 'main'}" for kind, repo, rev in missing]
    advice = ("unset HF_HUB_OFFLINE to download" if why.startswith("HF_HUB_OFFLINE") else
              "connect to the hub, or fetch the files elsewhere into that cache and set "
              "HF_HUB_OFFLINE=1")
    raise HubUnreachableError(
        f"{why}, and the local cache ({hub.hub_cache()}) does not hold "
        + "; ".join(lines) + f". To run: {advice}, or pass a local checkpoint folder "
        "(--model FAMILY:PATH) or data copy (--data TASK=PATH)")
