"""The gate's outputs: JUnit XML valid against the structure CI systems read, documented JSON,
and Markdown that untrusted text cannot break."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from tvbench.runs import gate_output
from tvbench.runs.gate import compare
from tvbench.runs.gate_pairs import load_side
from tvbench.runs.gate_rules import GateSettings

from .gate_runs import accuracies, write_run

# The JUnit structure that GitHub (test-reporter actions), GitLab (junit artifacts) and
# Jenkins (junit plugin) read: testsuites > testsuite > [properties] testcase* where a
# testcase holds at most one failure, error or skipped and optional system-out; counts are
# attributes of both suite levels. Written for these tests from those tools' documentation.
JUNIT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:complexType name="message">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="message" type="xs:string"/>
        <xs:attribute name="type" type="xs:string"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:attributeGroup name="counts">
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="time" type="xs:decimal"/>
  </xs:attributeGroup>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attributeGroup ref="counts"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="value" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:choice minOccurs="0">
                <xs:element name="failure" type="message"/>
                <xs:element name="error" type="message"/>
                <xs:element name="skipped" type="message"/>
              </xs:choice>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="xs:decimal"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attributeGroup ref="counts"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
EVIL = "<script>alert(1)</script> | `x` \x1b[31m\x00"


@pytest.fixture
def report(tmp_path: Path):
    """A failing comparison with every kind of verdict: a regression (ja), an unscored task on
    both sides, a task missing from the candidate, and a hostile status text."""
    rng = np.random.default_rng(2)
    langs = ["de", "fr", "ja", "ko"]
    base = accuracies(rng, langs, 60, 0.7)
    cand = dict(base, ja=[0.0] * 30 + base["ja"][30:])
    extra = accuracies(rng, ["en"], 20, 0.5)
    write_run(tmp_path, "base", {"mvqa": base, "judged": extra, "gone": extra}, seen=["de"])
    write_run(tmp_path, "cand", {"mvqa": cand, "judged": extra}, seen=["de"])
    sides = [load_side(tmp_path / n) for n in ("cand", "base")]
    for side in sides:
        side.results["tasks"]["judged"].update(score=None, status=f"not scored: {EVIL}")
    return compare(*sides, GateSettings())


def test_junit_is_valid_and_carries_delta_ci_and_p(report) -> None:
    xml = gate_output.to_junit(report, "runs/cand", "runs/base")
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD))
    doc = etree.fromstring(xml.encode())
    schema.assertValid(doc)
    cases = doc.findall(".//testcase")
    assert len(cases) == len(report.checks) == int(doc.get("tests"))
    assert int(doc.get("failures")) == len(report.failed) == len(doc.findall(".//failure"))
    assert int(doc.get("skipped")) == len(doc.findall(".//skipped")) >= 1
    for suite in doc.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall(".//failure"))
    ja = next(c for c in cases if c.get("name") == "mvqa · ja")
    failure = ja.find("failure")
    assert failure.get("type") == "regression" and "significant" in failure.get("message")
    check = next(c for c in report.checks if c.label == "mvqa · ja")
    assert f"delta {check.delta:+.2f}" in failure.text and check.delta < -20
    assert f"95% CI [{check.ci95[0]:+.2f}, {check.ci95[1]:+.2f}]" in failure.text
    assert f"p_adj {check.p_adjusted:.2g}" in failure.text
    judged = next(c for c in cases if c.get("name") == "judged").find("skipped")
    assert "<script>" in judged.get("message") and "\\x1b" in judged.get("message")
    gone = next(c for c in cases if c.get("name") == "gone")
    assert gone.find("failure").get("message") == "task missing from the candidate run"


def test_json_has_the_documented_fields(report) -> None:
    doc = json.loads(gate_output.to_json(report, "runs/cand", "runs/base"))
    assert doc["schema"] == "tvbench-gate/1" and doc["verdict"] == "fail"
    assert doc["exit_code"] == 1 and doc["candidate"] == "runs/cand"
    assert doc["test"]["correction"] == "bh" and doc["test"]["resamples"] == 10_000
    assert set(doc["counts"]) == {"pass", "fail", "incomparable", "not compared"}
    keys = {"task", "scope", "name", "metric", "higher_is_better", "baseline", "candidate",
            "delta", "ci95", "p_value", "p_adjusted", "n_shared", "max_drop", "test",
            "verdict", "reason"}
    for check in doc["checks"]:
        assert keys <= set(check), set(check) ^ keys
    ja = next(c for c in doc["checks"] if c["name"] == "ja")
    assert ja["verdict"] == "fail" and ja["ci95"][1] < 0 and ja["p_adjusted"] < 0.05
    groups = [c for c in doc["checks"] if c["scope"] == "group"]
    assert groups and all(c["languages"] for c in groups)
    for field in ("task", "scope", "name", "metric", "ci95", "p_adjusted", "languages"):
        assert f"``{field}``" in gate_output.__doc__  # documented in the module


def test_markdown_shows_the_verdict_and_escapes(report) -> None:
    text = gate_output.to_markdown(report, "runs/cand", "runs/base")
    assert text.startswith("### tvbench gate: ❌ FAILED")
    assert "Benjamini-Hochberg" in text
    row = next(line for line in text.splitlines() if line.startswith("| mvqa · ja |"))
    assert "❌ fail" in row and "[-" in row
    assert "<script>" not in text and "&lt;script&gt;" in text
    judged = next(line for line in text.splitlines() if line.startswith("| judged |"))
    cells = re.split(r"(?<!\\)\|", judged)[1:-1]  # split on unescaped '|' only
    assert len(cells) == 8 and "\\| \\`x\\`" in cells[-1]  # the hostile '|' stays inside
    assert "\\x1b[31m\\x00" in cells[-1] and "\x1b" not in text
