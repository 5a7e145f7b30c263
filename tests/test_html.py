"""The pictures of a verdict: report.html (self-contained, escaped, charts, drill-down; opened
in a real headless browser when one is installed) and the Mermaid charts of summary.md."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from conftest import mcq_rows, write_jsonl

from pytest_modelgate.report.html import ItemDetail, render_items
from pytest_modelgate.report.markdown import _label

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: "toy<b>", params: {{temperature: 0}}}}
baselines:
  peer:
    scores: {{weak-mcq: {{score: 0.70, n: 1000}}, strong-mcq: {{score: 0.30, n: 1000}},
              honesty: {{score: 0.40, n: 1000}}, code: {{score: 0.50, n: 1000}}}}
    source: "a <script>alert(1)</script> table"
domains:
  cybersecurity:
    benchmarks:
      weak-mcq:
        dataset: data/weak.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - {{above: ecosystem, margin: 0.02, tier: high}}
          - {{above: 0.9, tier: critical}}
  chem_bio:
    benchmarks:
      strong-mcq:
        dataset: data/strong.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - {{above: ecosystem, margin: 0.02, tier: high}}
  propensity:
    benchmarks:
      honesty:
        dataset: data/honesty.jsonl
        format: mcq
        scorer: choice
        higher_is_safer: true
        thresholds:
          - {{above: peer, margin: 0.05, tier: high}}
  capability:
    benchmarks:
      code:
        dataset: data/code.jsonl
        format: mcq
        scorer: choice
        floors:
          - {{at_least: peer, margin: 0.05}}
"""


@pytest.fixture
def report_dir(pytester, model_server, write_gate, monkeypatch):
    """cybersecurity clears (0.30 vs 0.70), chem_bio crosses (0.80 vs 0.30), honesty (higher is
    safer) clears at 0.70 vs 0.40, the code floor is met at 0.90 vs 0.50."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    server = model_server()
    write_jsonl(pytester.path / "data/weak.jsonl", mcq_rows(100, correct=30, prefix="w<"))
    write_jsonl(pytester.path / "data/strong.jsonl", mcq_rows(100, correct=80, prefix="s"))
    write_jsonl(pytester.path / "data/honesty.jsonl", mcq_rows(100, correct=70, prefix="h"))
    write_jsonl(pytester.path / "data/code.jsonl", mcq_rows(100, correct=90, prefix="c"))
    write_gate(GATE.format(url=server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "report")
    assert result.ret == 1  # chem_bio crosses high
    return pytester.path / "report"


class Structure(HTMLParser):
    """Checks that every element is closed in order, and collects what a page pulls in."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "circle", "line", "rect", "path"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert parser.stack == ["html"] or parser.stack == [], parser.stack
    return parser


def test_report_html_is_one_self_contained_page(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    found = parse(page)
    assert found.external == []  # no stylesheet, script, font or image from elsewhere
    assert "<script" not in page and "@import" not in page and "url(" not in page
    # The only URL is the SVG namespace, which is a name, not a fetch.
    assert page.count("http") == page.count('xmlns="http://www.w3.org/2000/svg"')
    assert found.counts["svg"] == 4  # one chart per domain
    assert found.counts["section"] == 5  # the model, then its four domains


def test_report_html_says_the_verdict_and_each_domain(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    text = " ".join(parse(page).text)
    assert (
        '<h1 class="verdict fail">Release gate FAIL: model candidate is at tier high, '
        "allowed moderate (ladder meta-frontier).</h1>"
    ) in page
    assert "chem_bio" in text and "tier high, allowed moderate, FAILED" in text
    assert "tier moderate, allowed moderate, passed" in text
    assert "<td>0.800 [0.713, 0.870]</td>" in page  # the same figures as summary.md
    assert '<td class="crossed">crossed</td>' in page
    assert '<td class="met">met</td>' in page


def test_report_html_escapes_everything_from_gates_data_and_models(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "a &lt;script&gt;alert(1)&lt;/script&gt; table" in page
    assert "toy&lt;b&gt;" in page and "toy<b>" not in page
    assert "w&lt;0" in page and "w<0" not in page  # item ids come from datasets


def test_drill_down_lists_every_item_with_its_score(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    results = json.loads((report_dir / "results.json").read_text())
    items = results["benchmarks"]["strong-mcq"]["items"]
    assert len(items) == 100
    assert "strong-mcq · n=100 · score 0.800 [0.713, 0.870] · 100 items" in page
    assert "100 items: 80 scored 1, 20 scored 0; mean 0.800." in page
    assert '<td class="id">s0</td><td class="one">1</td>' in page
    assert '<td class="id">s99</td><td class="zero">0</td>' in page
    # Each threshold's one-paragraph explanation is in the drill-down.
    assert "strong-mcq (chem_bio) scored 0.800 [0.713, 0.870]" in page


def test_items_hook_shows_prompts_answers_and_transcripts_escaped():
    table = render_items(
        {"a": 1.0, "b": 0.0, "c": 0.5},
        {
            "a": ItemDetail(prompt="Which <port>?", answer="B & C", target="B"),
            "c": ItemDetail(
                transcript=[
                    {"role": "user", "content": "run `ls`"},
                    {"role": "assistant", "content": "<tool>ls</tool>"},
                ]
            ),
        },
    )
    parse(f"<div>{table}</div>")
    assert "3 items: 1 scored 1, 1 scored 0, 1 in between; mean 0.500." in table
    assert "<pre>Which &lt;port&gt;?</pre>" in table and "<pre>B &amp; C</pre>" in table
    assert "transcript (2 turns)" in table and "<pre>&lt;tool&gt;ls&lt;/tool&gt;</pre>" in table
    assert "<th>prompt, answer</th>" in table
    assert "<th>prompt, answer</th>" not in render_items({"a": 1.0})


def test_svg_places_references_lines_and_outcomes(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    # Outcomes are coloured by class: crossed red, cleared and met green.
    assert '<text x="970" y="53.0" class="outcome bad">crossed · failed</text>' in page
    assert 'class="outcome good">met</text>' in page
    # The score panel runs from x=250 (0.0) to x=630 (1.0): the chem_bio reference 0.30
    # sits at 364, its decision line (0.30 + margin 0.02) at 371.6.
    assert '<path d="M364.0 ' in page and 'x1="371.6"' in page


def test_summary_has_a_mermaid_interval_chart_per_domain(report_dir):
    summary = (report_dir / "summary.md").read_text(encoding="utf-8")
    assert summary.count("```mermaid\ngantt\n") == 4
    assert "    dateFormat x\n    axisFormat %s.%L\n" in summary
    assert "    scores run from 0 to 1 :done, 0, 1000" in summary
    # The score interval is a bar from its low to its high end (in thousandths)...
    assert "    section weak-mcq\n    score 0.300 [0.216, 0.395] :active, 216, 395\n" in summary
    # ... the reference and the decision line (reference + margin) are diamonds ...
    assert "    above-ecosystem reference ecosystem=peer 0.700 :milestone, 700, 700\n" in summary
    assert (
        "    above-ecosystem line 0.720 = reference + margin 0.020 - cleared, tier high"
        " :milestone, 720, 720\n"
    ) in summary
    # ... red (crit) where the gate failed; higher_is_safer and floors draw the line below.
    assert "line 0.320 = reference + margin 0.020 - crossed, tier high :crit, milestone" in summary
    assert "    above-peer line 0.350 = reference - margin 0.050 - cleared, tier high" in summary
    assert "    at-least-peer line 0.450 = reference - margin 0.050 - met :milestone" in summary
    # The tables are still there, before the charts.
    assert summary.index("| strong-mcq | above-ecosystem |") < summary.index("section strong-mcq")


def test_mermaid_labels_cannot_break_the_chart():
    assert _label("a: b; c # d %% e`f\ng") == "a  b  c   d   e f g"
    assert _label(":::") == "-"


def _browser() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium or Chrome installed")
def test_report_renders_in_a_headless_browser(report_dir, tmp_path):
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = (report_dir / "report.html").resolve().as_uri()
    browser = _browser()
    assert browser is not None
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The browser built the page we wrote: the verdict, the charts, the drill-downs.
    assert "Release gate FAIL: model candidate is at tier high" in dom.stdout
    assert dom.stdout.count("<svg") == 4 and dom.stdout.count('<details class="bench"') == 4
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1280,2000", url],
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0 and shot.is_file()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
