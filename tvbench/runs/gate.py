"""Regression gating: compare a candidate run with a baseline run, signature-checked.

A score only gates against a baseline score whose signature agrees on everything but the
model. A drop of more than ``max_drop`` points, a score under ``min_score``, an unscored
task or (unless allowed) per-item errors fail the gate; mismatched signatures make the
comparison impossible, which is reported as such rather than passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tvbench.runs.signature import differences


@dataclass(frozen=True)
class GateRule:
    max_drop: float = 1.0
    min_score: float | None = None


@dataclass(frozen=True)
class Check:
    task: str
    lang: str | None  # None for the task's headline score
    candidate: float | None
    baseline: float | None
    verdict: str  # "pass" | "fail" | "incomparable" | "no baseline"
    reason: str = ""

    @property
    def delta(self) -> float | None:
        if self.candidate is None or self.baseline is None:
            return None
        return self.candidate - self.baseline


@dataclass
class GateReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "fail"]

    @property
    def incomparable(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "incomparable"]

    @property
    def exit_code(self) -> int:
        """0 pass, 1 a regression, 2 nothing could be compared honestly."""
        if self.failed:
            return 1
        if self.incomparable or not any(c.verdict == "pass" for c in self.checks):
            return 2
        return 0


def rules_from_config(gate: Mapping[str, Any], max_drop: float | None = None,
                      min_score: float | None = None) -> tuple[GateRule, dict[str, GateRule]]:
    """The default rule and per-task rules from ``[gate]``; flags override the default."""
    default = GateRule(max_drop=float(max_drop if max_drop is not None
                                      else gate.get("max_drop", 1.0)),
                       min_score=min_score if min_score is not None else gate.get("min_score"))
    per_task = {name: GateRule(max_drop=float(body.get("max_drop", default.max_drop)),
                               min_score=body.get("min_score", default.min_score))
                for name, body in gate.get("tasks", {}).items()}
    return default, per_task


def batch_exact(results: Mapping[str, Any]) -> bool:
    """Whether a run's outputs are known to equal batch size 1's: ``run.batch_exact`` as the
    runner records it (CPU and float32); for older run folders, float32 on a machine
    without a GPU."""
    run = results.get("run") or {}
    if "batch_exact" in run:
        return bool(run["batch_exact"])
    model = results.get("model") or {}
    gpus = (results.get("hardware") or {}).get("gpus")
    return model.get("dtype") == "float32" and gpus == []


def batch_size_change(candidate: Mapping[str, Any], baseline: Mapping[str, Any]) -> str | None:
    """Why two runs cannot be compared because they batched differently, or None.

    On a GPU in bf16 (and anywhere but the CPU in float32) outputs depend on the batch:
    at batch size 16, 2.7 % of tiny-model generations differ from batch size 1
    (shared/reference/gpu-findings.md §1), enough to move a score by more than a gate's
    threshold. Runs made with the same batching, or both exact, compare as usual.
    """
    def batching(r: Mapping[str, Any]) -> tuple[Any, Any]:
        run = r.get("run") or {}
        return run.get("batch_size"), run.get("batch_tokens")

    if batching(candidate) == batching(baseline):
        return None
    if batch_exact(candidate) and batch_exact(baseline):
        return None
    (cs, ct), (bs, bt) = batching(candidate), batching(baseline)
    budget = f", token budget {bt} → {ct}" if ct != bt else ""
    return (f"made at batch size {bs} → {cs}{budget} outside CPU float32, where outputs "
            "depend on the batch (pass --allow-batch-size-change to compare anyway)")


def _judge(task: str, lang: str | None, cand: Mapping[str, Any], base: Mapping[str, Any] | None,
           rule: GateRule, allow_errors: bool, batching: str | None = None) -> Check:
    score = cand.get("score")
    if score is None:
        return Check(task, lang, None, base.get("score") if base else None, "fail",
                     f"candidate not scored ({cand.get('status', 'no score')})")
    if not allow_errors and cand.get("n_errors"):
        return Check(task, lang, score, base.get("score") if base else None, "fail",
                     f"{cand['n_errors']} items ended in an error")
    if rule.min_score is not None and score < rule.min_score:
        return Check(task, lang, score, base.get("score") if base else None, "fail",
                     f"below min_score {rule.min_score:g}")
    if base is None:
        return Check(task, lang, score, None, "no baseline", "baseline has no such score")
    diff = differences(cand.get("signature", ""), base.get("signature", ""))
    if diff:
        fields = ", ".join(f"{k} ({b} → {a})" for k, (a, b) in diff.items())
        return Check(task, lang, score, base.get("score"), "incomparable",
                     f"signatures differ: {fields}")
    if batching is not None:
        return Check(task, lang, score, base.get("score"), "incomparable", batching)
    if base.get("score") is None:
        return Check(task, lang, score, None, "no baseline", "baseline not scored")
    drop = base["score"] - score
    if drop > rule.max_drop:
        return Check(task, lang, score, base["score"], "fail",
                     f"dropped {drop:.2f} > max_drop {rule.max_drop:g}")
    return Check(task, lang, score, base["score"], "pass")


def compare(candidate: Mapping[str, Any], baseline: Mapping[str, Any], *,
            default: GateRule, per_task: Mapping[str, GateRule] | None = None,
            tasks: Sequence[str] | None = None, per_language: bool = False,
            allow_errors: bool = False, allow_batch_size_change: bool = False) -> GateReport:
    """Gate every task of ``candidate`` (or only ``tasks``) against ``baseline``."""
    per_task = per_task or {}
    batching = None if allow_batch_size_change else batch_size_change(candidate, baseline)
    report = GateReport()
    cand_tasks = candidate.get("tasks", {})
    names = list(tasks) if tasks else list(cand_tasks)
    for name in names:
        rule = per_task.get(name, default)
        cand = cand_tasks.get(name)
        if cand is None:
            report.checks.append(Check(name, None, None, None, "fail",
                                       "task missing from the candidate run"))
            continue
        base = baseline.get("tasks", {}).get(name)
        report.checks.append(_judge(name, None, cand, base, rule, allow_errors, batching))
        if per_language:
            base_langs = (base or {}).get("languages", {})
            for lang, block in cand.get("languages", {}).items():
                report.checks.append(_judge(name, lang, block, base_langs.get(lang), rule,
                                            allow_errors, batching))
    return report
