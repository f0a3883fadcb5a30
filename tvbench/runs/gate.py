"""Regression gating: is the candidate run worse than the baseline beyond noise?

Every check (a task's headline, each language, each language group) compares the same items
in both runs. A **regression** is a drop larger than the check's tolerance *and* significant
under a paired bootstrap over the per-item statistics of the shared items, after a
multiple-comparison correction across the task's language and group checks (the headline
is tested on its own). Direction follows the metric's ``higher_is_better``. Where no paired
test is possible (a reported baseline, an older run folder) the tolerance alone decides and
the check says so.

Exit codes: 0 pass, 1 a regression, 2 not comparable (different signatures, a named task
missing from a run, too few shared items, or nothing compared at all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tvbench.metrics.significance import adjust, paired_bootstrap
from tvbench.runs.gate_batching import batch_size_change
from tvbench.runs.gate_pairs import Evidence, RunSide, evidence
from tvbench.runs.gate_rules import GateSettings, Tolerance, language_groups
from tvbench.runs.signature import differences

Verdict = Literal["pass", "fail", "incomparable", "not compared"]
Scope = Literal["task", "language", "group"]
PAIRED, TOLERANCE = "paired bootstrap", "tolerance only"


@dataclass(frozen=True)
class Check:
    """One compared score: a task's headline (``name`` "all"), a language, or a group."""

    task: str
    scope: Scope
    name: str
    verdict: Verdict
    reason: str = ""
    metric: str = ""
    higher_is_better: bool = True
    baseline: float | None = None
    candidate: float | None = None
    delta: float | None = None  # candidate - baseline
    ci95: tuple[float, float] | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    n_shared: int | None = None
    max_drop: float | None = None
    test: str = ""  # PAIRED | TOLERANCE | "" (nothing tested)
    languages: tuple[str, ...] = ()  # a group's members

    @property
    def label(self) -> str:
        return self.task if self.scope == "task" else f"{self.task} · {self.name}"

    @property
    def drop(self) -> float | None:
        """How much worse the candidate is, in the metric's own direction (negative: better)."""
        if self.delta is None:
            return None
        return -self.delta if self.higher_is_better else self.delta


@dataclass
class GateReport:
    checks: list[Check] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # task → notes, "" for all
    settings: GateSettings = field(default_factory=GateSettings)

    def of(self, verdict: Verdict) -> list[Check]:
        return [c for c in self.checks if c.verdict == verdict]

    @property
    def failed(self) -> list[Check]:
        return self.of("fail")

    @property
    def incomparable(self) -> list[Check]:
        return self.of("incomparable")

    @property
    def exit_code(self) -> int:
        """0 pass, 1 a regression, 2 nothing could be compared honestly."""
        if self.failed:
            return 1
        if self.incomparable or not self.of("pass"):
            return 2
        return 0

    @property
    def verdict(self) -> str:
        return {0: "pass", 1: "fail", 2: "incomparable"}[self.exit_code]

    def note(self, task: str, text: str) -> None:
        bucket = self.notes.setdefault(task, [])
        if text not in bucket:
            bucket.append(text)


def _score(block: Mapping[str, Any] | None) -> float | None:
    value = (block or {}).get("score")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _unscored_reason(block: Mapping[str, Any] | None) -> str:
    """Why a block has no score, said once (the status already carries the notes)."""
    block = block or {}
    status = str(block.get("status") or "")
    reason = status.removeprefix("not scored").lstrip(": ").strip()
    if not reason:
        reason = "; ".join(str(n) for n in block.get("notes") or []) or "no score"
    return reason


def _unscored(task: str, scope: Scope, name: str, cand: Mapping[str, Any] | None,
              base: Mapping[str, Any] | None) -> Check | None:
    """The check when either side has no score, or None when both have one."""
    c, b = _score(cand), _score(base)
    if c is not None and b is not None:
        return None
    if cand is None or base is None:  # a language one run has and the other lacks
        return Check(task, scope, name, "not compared",
                     f"the {'candidate' if cand is None else 'baseline'} run has no such "
                     f"{'language' if scope == 'language' else 'score'}",
                     baseline=b, candidate=c)
    if c is None and b is None:
        rc, rb = _unscored_reason(cand), _unscored_reason(base)
        why = rc if rc == rb else f"candidate: {rc}; baseline: {rb}"
        return Check(task, scope, name, "not compared", f"not scored in either run: {why}",
                     baseline=b, candidate=c)
    if c is None:
        return Check(task, scope, name, "fail",
                     f"candidate not scored: {_unscored_reason(cand)}", baseline=b)
    return Check(task, scope, name, "not compared",
                 f"baseline not scored: {_unscored_reason(base)}", candidate=c)


def _floor(check: Check, rule: Tolerance) -> Check | None:
    if rule.min_score is not None and check.candidate is not None \
            and check.candidate < rule.min_score:
        return replace(check, verdict="fail", reason=f"below min_score {rule.min_score:g}")
    return None


def _tolerance_only(check: Check) -> Check:
    """No paired test is possible (the task's notes say why): the tolerance alone decides."""
    drop = check.drop or 0.0
    assert check.max_drop is not None
    if drop > check.max_drop:
        return replace(check, verdict="fail", test=TOLERANCE,
                       reason=f"dropped {drop:.2f} > max_drop {check.max_drop:g} "
                              "(tolerance only)")
    return replace(check, verdict="pass", test=TOLERANCE)


def _measure(check: Check, ev: Evidence, langs: Sequence[str], s: GateSettings) -> Check:
    """Run the paired bootstrap for ``langs`` (None p-value: too few shared items)."""
    strata = ev.within(langs)
    n = ev.count(langs)
    if n < s.min_items:
        return replace(check, n_shared=n, test=PAIRED)
    assert ev.aggregation is not None
    base = {g: rows[0] for g, rows in strata.items()}
    cand = {g: rows[1] for g, rows in strata.items()}
    # The one-sided p-value is for "the candidate is worse": for a lower-is-better metric
    # that is "the baseline is better", so the roles swap and the signs flip back.
    if ev.higher_is_better:
        pc = paired_bootstrap(ev.aggregation, base, cand, resamples=s.resamples, seed=s.seed)
        delta, ci = pc.delta, pc.ci95
        b_score, c_score = pc.baseline, pc.candidate
    else:
        pc = paired_bootstrap(ev.aggregation, cand, base, resamples=s.resamples, seed=s.seed)
        delta, ci = -pc.delta, (-pc.ci95[1], -pc.ci95[0])
        b_score, c_score = pc.candidate, pc.baseline
    return replace(check, baseline=b_score, candidate=c_score, delta=delta, ci95=ci,
                   p_value=pc.p_value, n_shared=n, test=PAIRED)


def _decide(check: Check, alpha: float) -> Check:
    """The verdict of a measured check from its drop, tolerance and adjusted p-value."""
    if check.verdict != "pass" or check.test != PAIRED:
        return check
    if check.p_value is None:
        return replace(check, verdict="not compared", reason="too few shared items")
    drop, p = check.drop or 0.0, check.p_adjusted
    assert check.max_drop is not None and p is not None
    beyond, significant = drop > check.max_drop, p < alpha
    if beyond and significant:
        return replace(check, verdict="fail", reason=f"dropped {drop:.2f} > max_drop "
                       f"{check.max_drop:g}, significant (p_adj {p:.3g} < {alpha:g})")
    if beyond:
        return replace(check, reason=f"dropped {drop:.2f} > max_drop {check.max_drop:g} "
                       f"but within noise (p_adj {p:.3g})")
    if significant and drop > 0:
        return replace(check, reason=f"significant drop of {drop:.2f} within max_drop "
                       f"{check.max_drop:g}")
    return check


def _compare_task(report: GateReport, task: str, cand: Mapping[str, Any],
                  base: Mapping[str, Any], baseline: RunSide, candidate: RunSide,
                  s: GateSettings) -> None:
    rule = s.task_rule(task)
    metric = str(cand.get("metric") or "")
    headline = Check(task, "task", "all", "pass", metric=metric,
                     higher_is_better=bool(cand.get("higher_is_better", True)),
                     baseline=_score(base), candidate=_score(cand), max_drop=rule.max_drop)
    if (early := _unscored(task, "task", "all", cand, base)) is not None:
        report.checks.append(replace(early, metric=metric))
        return
    if baseline.reported:
        if base.get("metric") != metric:
            report.checks.append(replace(headline, verdict="incomparable", reason=(
                f"the paper reports {base.get('metric')!r}, the candidate {metric!r}")))
            return
    elif diff := differences(str(cand.get("signature", "")), str(base.get("signature", ""))):
        fields = ", ".join(f"{k} ({b} → {a})" for k, (a, b) in diff.items())
        report.checks.append(replace(headline, verdict="incomparable",
                                     reason=f"signatures differ: {fields}"))
        return
    elif not s.allow_batch_size_change and (
            why := batch_size_change(candidate.results, baseline.results)):
        report.checks.append(replace(headline, verdict="incomparable", reason=why))
        return
    ev = evidence(task, metric, cand, baseline, candidate)
    if ev.problem and not baseline.reported:  # a reported baseline is said once for all
        report.note(task, ev.problem)
    headline = replace(headline, higher_is_better=ev.higher_is_better,
                       delta=headline.candidate - headline.baseline)  # type: ignore[operator]
    n_errors = cand.get("n_errors")
    if not s.allow_errors and isinstance(n_errors, int) and n_errors > 0:
        report.checks.append(replace(headline, verdict="fail",
                                     reason=f"{n_errors} items ended in an error"))
    elif (low := _floor(headline, rule)) is not None:
        report.checks.append(low)
    elif not ev.paired:
        report.checks.append(_tolerance_only(headline))
    else:
        for note in ev.notes():
            report.note(task, note)
        measured = _measure(headline, ev, sorted(ev.strata), s)
        if measured.p_value is None:
            report.checks.append(replace(measured, verdict="incomparable", reason=(
                f"too few shared items: {measured.n_shared} < min_items {s.min_items}")))
            return
        report.checks.append(_decide(replace(measured, p_adjusted=measured.p_value), s.alpha))
    if s.per_language:
        _breakdown(report, task, cand, base, baseline, candidate, ev, s)


def _breakdown(report: GateReport, task: str, cand: Mapping[str, Any], base: Mapping[str, Any],
               baseline: RunSide, candidate: RunSide, ev: Evidence, s: GateSettings) -> None:
    """Per-language and per-group checks, one family for the multiple-comparison correction."""
    rule = s.task_rule(task)
    c_langs, b_langs = _languages(cand), _languages(base)
    if len(c_langs.keys() | b_langs.keys()) < 2:
        return  # a one-language task: its language check would repeat the headline
    family: list[Check] = []
    for lang in sorted(c_langs.keys() | b_langs.keys()):
        cb, bb = c_langs.get(lang), b_langs.get(lang)
        check = Check(task, "language", lang, "pass", metric=ev.metric,
                      higher_is_better=ev.higher_is_better, baseline=_score(bb),
                      candidate=_score(cb), max_drop=rule.max_drop)
        if (early := _unscored(task, "language", lang, cb, bb)) is not None:
            family.append(replace(early, metric=ev.metric))
            continue
        if not baseline.reported and (diff := differences(str(cb.get("signature", "")),
                                                          str(bb.get("signature", "")))):
            family.append(replace(check, verdict="incomparable",
                                  reason=f"signatures differ: {', '.join(diff)}"))
            continue
        check = replace(check, delta=check.candidate - check.baseline)  # type: ignore[operator]
        family.append(_floor(check, rule) or _test(check, ev, [lang], s))
    scored = [c.name for c in family if c.baseline is not None and c.candidate is not None
              and c.verdict != "incomparable"]
    attrs = [a for a in cand.get("language_groups") or [] if isinstance(a, str)]
    groups, notes = language_groups(scored, attrs, candidate.seen_languages)
    for note in notes:
        report.note(task, note)
    by_lang = {c.name: c for c in family}
    for name, members in groups.items():
        g_rule = s.group_rule(task, name)
        b_vals = [by_lang[m].baseline for m in members]
        c_vals = [by_lang[m].candidate for m in members]
        b_mean, c_mean = sum(b_vals) / len(b_vals), sum(c_vals) / len(c_vals)  # type: ignore
        check = Check(task, "group", name, "pass", metric=ev.metric,
                      higher_is_better=ev.higher_is_better, baseline=b_mean, candidate=c_mean,
                      delta=c_mean - b_mean, max_drop=g_rule.max_drop,
                      languages=tuple(members))
        family.append(_test(check, ev, members, s))
    tested = [i for i, c in enumerate(family) if c.test == PAIRED and c.p_value is not None]
    adjusted = adjust([family[i].p_value for i in tested], s.correction)  # type: ignore[misc]
    for i, p in zip(tested, adjusted, strict=True):
        family[i] = replace(family[i], p_adjusted=p)
    report.checks.extend(_decide(c, s.alpha) for c in family)


def _test(check: Check, ev: Evidence, langs: list[str], s: GateSettings) -> Check:
    return _measure(check, ev, langs, s) if ev.paired else _tolerance_only(check)


def _languages(block: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    langs = block.get("languages")
    if not isinstance(langs, Mapping):
        return {}
    return {str(k): v for k, v in langs.items() if isinstance(v, Mapping)}


def compare(candidate: RunSide, baseline: RunSide, settings: GateSettings, *,
            tasks: Sequence[str] | None = None) -> GateReport:
    """Gate the candidate against the baseline: every baseline task, or only ``tasks``.

    Without ``tasks``, a baseline task missing from the candidate fails the gate; with
    ``tasks``, a named task missing from either run makes the runs not comparable.
    """
    report = GateReport(settings=settings)
    c_tasks, b_tasks = candidate.tasks, baseline.tasks
    if baseline.reported:
        report.note("", "the baseline is a reported paper run: no per-item scores, so every "
                        "check is a tolerance-only test")
    names = list(tasks) if tasks else [*b_tasks, *(t for t in c_tasks if t not in b_tasks)]
    for name in names:
        cand, base = c_tasks.get(name), b_tasks.get(name)
        if cand is None or base is None:
            missing = "candidate" if cand is None else "baseline"
            if tasks:
                report.checks.append(Check(name, "task", "all", "incomparable",
                                           f"task named by --tasks is not in the {missing} run"))
            elif cand is None:
                report.checks.append(Check(name, "task", "all", "fail",
                                           "task missing from the candidate run",
                                           baseline=_score(base)))
            else:
                report.checks.append(Check(name, "task", "all", "not compared",
                                           "the baseline run has no such task",
                                           candidate=_score(cand)))
            continue
        _compare_task(report, name, cand, base, baseline, candidate, settings)
    _warn_resolution(report, settings)
    return report


def _warn_resolution(report: GateReport, s: GateSettings) -> None:
    """Say so when the bootstrap cannot resolve p-values small enough for the correction."""
    for task in {c.task for c in report.checks}:
        m = sum(1 for c in report.checks if c.task == task and c.scope != "task"
                and c.p_value is not None)
        if m and s.correction != "none" and 1 / (s.resamples + 1) * m >= s.alpha:
            report.note(task, f"{m} corrected checks need p below {s.alpha / m:.2g}, finer "
                        f"than {s.resamples} resamples resolve; raise resamples above "
                        f"{int(m / s.alpha)} to detect a single-language drop")
