"""The gate's verdict for machines and reviewers: JSON, Markdown for a pull request, JUnit XML.

All three are made from one :class:`~tvbench.runs.gate.GateReport`, so they always agree.
Texts from results.json (task names, reasons, notes) are untrusted: Markdown escapes the
characters that would make tables or HTML of them, and the XML writer drops the control
characters XML 1.0 cannot carry.

JSON fields (``schema`` ``tvbench-gate/1``): ``verdict`` (pass | fail | incomparable),
``exit_code``, ``candidate``, ``baseline``, ``test`` (method, resamples, seed, alpha,
correction, correction_name, min_items, per_language, allow_errors, description),
``counts`` (per verdict), ``notes`` (per task; key "" for the whole comparison) and
``checks``: one object per check with ``task``, ``scope`` (task | language | group),
``name`` ("all", a language code or a group), ``metric``, ``higher_is_better``,
``baseline``, ``candidate``, ``delta`` (candidate - baseline), ``ci95`` (paired 95% CI of
the delta), ``p_value``, ``p_adjusted``, ``n_shared``, ``max_drop``, ``test`` ("paired
bootstrap", "tolerance only" or ""), ``verdict`` (pass | fail | incomparable | not
compared), ``reason`` and, for groups, ``languages``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from tvbench.runs.gate import Check, GateReport

SCHEMA = "tvbench-gate/1"
VERDICTS = ("pass", "fail", "incomparable", "not compared")
HEADLINES = {0: "passed", 1: "FAILED", 2: "could not compare the runs"}


def num(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def signed(x: float | None) -> str:
    return "" if x is None else f"{x:+.2f}"


def ci_text(c: Check) -> str:
    return "" if c.ci95 is None else f"[{c.ci95[0]:+.2f}, {c.ci95[1]:+.2f}]"


def p_text(c: Check) -> str:
    """The adjusted p-value (the raw one when nothing adjusted it)."""
    p = c.p_adjusted if c.p_adjusted is not None else c.p_value
    return "" if p is None else f"{p:.2g}"


def summary(report: GateReport) -> str:
    """One line: the verdict and what decided it."""
    if report.exit_code == 1:
        return f"gate FAILED: {len(report.failed)} regression(s)"
    if report.exit_code == 2:
        why = (f"{len(report.incomparable)} check(s) not comparable" if report.incomparable
               else "nothing was compared")
        return f"gate could not compare the runs: {why}"
    return f"gate passed: {len(report.of('pass'))} check(s) held"


def noteworthy(c: Check) -> bool:
    """A check worth a row of its own in short outputs: every headline, and any language or
    group check that failed, could not be compared, or passed with a remark (a drop within
    noise, a significant drop within tolerance). Plain passes and checks not compared
    (unscored, too few items) are counted instead."""
    if c.scope == "task" or c.verdict in ("fail", "incomparable"):
        return True
    return c.verdict == "pass" and bool(c.reason)


# --------------------------------------------------------------------------- JSON
def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def check_json(c: Check) -> dict[str, Any]:
    out = {"task": c.task, "scope": c.scope, "name": c.name, "metric": c.metric,
           "higher_is_better": c.higher_is_better, "baseline": _round(c.baseline),
           "candidate": _round(c.candidate), "delta": _round(c.delta),
           "ci95": None if c.ci95 is None else [_round(c.ci95[0]), _round(c.ci95[1])],
           "p_value": _round(c.p_value), "p_adjusted": _round(c.p_adjusted),
           "n_shared": c.n_shared, "max_drop": c.max_drop, "test": c.test,
           "verdict": c.verdict, "reason": c.reason}
    if c.scope == "group":
        out["languages"] = list(c.languages)
    return out


def to_json(report: GateReport, candidate: str, baseline: str) -> str:
    s = report.settings
    doc = {
        "schema": SCHEMA, "verdict": report.verdict, "exit_code": report.exit_code,
        "candidate": candidate, "baseline": baseline,
        "test": {"method": "paired-bootstrap", "resamples": s.resamples, "seed": s.seed,
                 "alpha": s.alpha, "correction": s.correction,
                 "correction_name": s.correction_name, "min_items": s.min_items,
                 "per_language": s.per_language, "allow_errors": s.allow_errors,
                 "description": s.describe()},
        "counts": {v: len(report.of(v)) for v in VERDICTS},  # type: ignore[arg-type]
        "notes": report.notes,
        "checks": [check_json(c) for c in report.checks],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# ----------------------------------------------------------------------- Markdown
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def md(text: Any) -> str:
    """Untrusted text as one Markdown table cell: no HTML, no column breaks, one line, and
    control characters as visible escapes."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("|", "\\|").replace("`", "\\`")
    return re.sub(r"\s+", " ", out).strip()


_MD_HEAD = ("| check | baseline | candidate | Δ | 95% CI | p (adj.) | verdict | reason |\n"
            "|---|---:|---:|---:|---|---:|---|---|")
_ICON = {"pass": "✅", "fail": "❌", "incomparable": "⚠️", "not compared": "➖"}


def _md_row(c: Check) -> str:
    return (f"| {md(c.label)} | {num(c.baseline)} | {num(c.candidate)} | {signed(c.delta)} | "
            f"{ci_text(c)} | {p_text(c)} | {_ICON[c.verdict]} {c.verdict} | {md(c.reason)} |")


def to_markdown(report: GateReport, candidate: str, baseline: str) -> str:
    """A pull-request comment: the verdict, the test in force, the notable rows, then every
    check in a collapsed section."""
    icon = {0: "✅", 1: "❌", 2: "⚠️"}[report.exit_code]
    lines = [f"### tvbench gate: {icon} {HEADLINES[report.exit_code]}", "",
             f"candidate `{md(candidate)}` vs baseline `{md(baseline)}` · {md(summary(report))}",
             "", f"Test: {md(report.settings.describe())}.", ""]
    for task, notes in report.notes.items():
        for note in notes:
            lines.append(f"- {md(task + ': ' if task else '')}{md(note)}")
    if report.notes:
        lines.append("")
    lines += [_MD_HEAD, *(_md_row(c) for c in report.checks if noteworthy(c)), ""]
    rest = [c for c in report.checks if not noteworthy(c)]
    if rest:
        lines += [f"<details><summary>{len(rest)} more language and group check(s): "
                  f"{_tally(rest)}</summary>", "", _MD_HEAD, *(_md_row(c) for c in rest), "",
                  "</details>", ""]
    return "\n".join(lines)


def _tally(checks: list[Check]) -> str:
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return ", ".join(f"{n} {v}" for v, n in counts.items())


# -------------------------------------------------------------------------- JUnit
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: Any) -> str:
    """Text XML 1.0 can carry: forbidden control characters become visible escapes."""
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _detail(c: Check) -> str:
    parts = [f"metric {c.metric}" if c.metric else "",
             f"baseline {num(c.baseline)}" if c.baseline is not None else "",
             f"candidate {num(c.candidate)}" if c.candidate is not None else "",
             f"delta {signed(c.delta)}" if c.delta is not None else "",
             f"95% CI {ci_text(c)}" if c.ci95 else "",
             f"p_adj {p_text(c)}" if p_text(c) else "",
             f"n {c.n_shared}" if c.n_shared is not None else "",
             f"max_drop {c.max_drop:g}" if c.max_drop is not None else "",
             c.test, c.reason]
    return "; ".join(p for p in parts if p)


def to_junit(report: GateReport, candidate: str, baseline: str) -> str:
    """One ``<testsuite>`` per task, one ``<testcase>`` per check: a regression is a
    ``<failure>``, a check that cannot be compared an ``<error>``, one not compared (unscored
    on both sides, too few items) ``<skipped>``."""
    def counts(checks: list[Check]) -> dict[str, str]:
        return {"tests": str(len(checks)),
                "failures": str(sum(c.verdict == "fail" for c in checks)),
                "errors": str(sum(c.verdict == "incomparable" for c in checks)),
                "skipped": str(sum(c.verdict == "not compared" for c in checks)),
                "time": "0"}

    root = ET.Element("testsuites", {"name": "tvbench gate", **counts(report.checks)})
    tasks: dict[str, list[Check]] = {}
    for c in report.checks:
        tasks.setdefault(c.task, []).append(c)
    for task, checks in tasks.items():
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(f"tvbench.gate.{task}"),
                                                  **counts(checks)})
        props = ET.SubElement(suite, "properties")
        for key, value in (("candidate", candidate), ("baseline", baseline),
                           ("test", report.settings.describe()),
                           *(("note", n) for n in report.notes.get(task, []))):
            ET.SubElement(props, "property", {"name": key, "value": xml_text(value)})
        for c in checks:
            case = ET.SubElement(suite, "testcase", {
                "name": xml_text(c.label), "classname": xml_text(f"tvbench.gate.{task}"),
                "time": "0"})
            detail = xml_text(_detail(c))
            if c.verdict == "fail":
                ET.SubElement(case, "failure", {"message": xml_text(c.reason),
                                                "type": "regression"}).text = detail
            elif c.verdict == "incomparable":
                ET.SubElement(case, "error", {"message": xml_text(c.reason),
                                              "type": "not comparable"}).text = detail
            elif c.verdict == "not compared":
                ET.SubElement(case, "skipped", {"message": xml_text(c.reason)})
            else:
                ET.SubElement(case, "system-out").text = detail
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
