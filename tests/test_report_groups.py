"""Two gate files run together that share a domain name: every report keeps them apart,
by file, as results.json does; a domain name only one file declares reads as before."""

from __future__ import annotations

import json
import re

import junitparser
import pytest
from conftest import mcq_rows, write_jsonl

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy}}
baselines:
  peer: {{scores: {{mcq: {{score: 0.30, n: 1000}}, bio: {{score: 0.90, n: 1000}}}}}}
domains:
  cybersecurity:
    benchmarks:
      mcq:
        dataset: data/{data}.jsonl
        format: mcq
        scorer: choice
        thresholds: [{{above: ecosystem, margin: 0.02, tier: high}}]
{extra}"""
CHEM_BIO = """  chem_bio:
    benchmarks:
      bio:
        dataset: data/weak.jsonl
        format: mcq
        scorer: choice
        thresholds: [{above: ecosystem, margin: 0.02, tier: high}]
"""
PASSING = "release.gate.yaml::cybersecurity"
FAILING = "study.gate.yaml::cybersecurity"


@pytest.fixture
def two_files(pytester, model_server, write_gate):
    """release.gate.yaml's cybersecurity passes (0.10 vs 0.30); study.gate.yaml's, with a
    benchmark of the same name, fails at high (0.90 vs 0.30)."""
    server = model_server()
    write_jsonl(pytester.path / "data/weak.jsonl", mcq_rows(40, correct=4, prefix="w"))
    write_jsonl(pytester.path / "data/strong.jsonl", mcq_rows(40, correct=36, prefix="s"))
    write_gate(GATE.format(url=server.base_url, data="weak", extra=CHEM_BIO))
    write_gate(GATE.format(url=server.base_url, data="strong", extra=""), "study.gate.yaml")
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    assert result.ret == 1
    return pytester.path / "out", result


def test_results_json_keeps_them_apart(two_files):
    out, _ = two_files
    data = json.loads((out / "results.json").read_text())
    assert data["domains"]["cybersecurity"]["passed"] is True
    assert data["domains"]["study.gate/cybersecurity"]["passed"] is False
    assert data["benchmarks"]["mcq"]["score"] == 0.1
    assert data["benchmarks"]["study.gate/mcq"]["score"] == 0.9


def test_summary_md_heads_each_file_s_domain_over_its_own_rows(two_files):
    out, _ = two_files
    summary = (out / "summary.md").read_text()
    headings = re.findall(r"^### (.*)$", summary, re.M)
    assert headings == [
        f"{PASSING}: tier **moderate**, allowed moderate, passed",
        "chem_bio: tier **moderate**, allowed moderate, passed",
        f"{FAILING}: tier **high**, allowed moderate, FAILED",
    ]
    passing, _, rest = summary.partition(f"### {FAILING}")
    passing = passing.partition(f"### {PASSING}")[2].partition("### chem_bio")[0]
    assert "| mcq | above-ecosystem | 0.100 " in passing and "crossed" not in passing
    assert "study.gate/mcq" not in passing
    assert "| study.gate/mcq | above-ecosystem | 0.900 " in rest and "| crossed |" in rest
    assert "| mcq |" not in rest


def test_report_html_sections_keep_them_apart(two_files):
    out, _ = two_files
    page = (out / "report.html").read_text()
    sections = page.split('<section class="domain"')[1:]
    heads = [re.search(r"<h2>(.*?) <span class=\"badge (\w+)\">", s).groups() for s in sections]
    assert heads == [(PASSING, "pass"), ("chem_bio", "pass"), (FAILING, "fail")]
    passing, _, failing = sections
    assert "<th scope=row>mcq</th>" in passing and "study.gate/mcq" not in passing
    assert "<th scope=row>study.gate/mcq</th>" in failing
    assert '<td class="crossed">' in failing and '<td class="crossed">' not in passing
    nav = re.search(r"<nav>(.*?)</nav>", page).group(1)
    assert f"{PASSING}: moderate" in nav and f"{FAILING}: high" in nav


def test_junit_has_one_suite_per_file_s_domain(two_files):
    out, _ = two_files
    xml = junitparser.JUnitXml.fromfile(str(out / "junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {
        f"{PASSING}[candidate]",
        "chem_bio[candidate]",
        f"{FAILING}[candidate]",
        "release[candidate]",
    }
    passing, failing = suites[f"{PASSING}[candidate]"], suites[f"{FAILING}[candidate]"]
    assert (passing.tests, passing.failures) == (2, 0)  # the threshold and the domain tier
    assert (failing.tests, failing.failures) == (2, 2)
    assert {p.name: p.value for p in passing.properties()}["tier"] == "moderate"
    assert {p.name: p.value for p in failing.properties()}["tier"] == "high"
    assert {case.classname for case in failing} == {
        f"modelgate.{FAILING}.study.gate/mcq",
        f"modelgate.{FAILING}",
    }


def test_terminal_table_names_the_file(two_files):
    _, result = two_files
    result.stdout.fnmatch_lines(
        [
            "domain*benchmark*threshold*",
            f"{PASSING} *mcq *above-ecosystem*0.100*cleared*-",
            "chem_bio *bio *above-ecosystem*cleared*-",
            f"{FAILING} *study.gate/mcq *above-ecosystem*0.900*crossed*high",
        ]
    )
