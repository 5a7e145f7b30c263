"""junit.xml for PR checks: one testsuite per domain (properties tier, allowed), one
testcase per threshold or floor with the full explanation as the failure message."""

from __future__ import annotations

from collections.abc import Sequence

from junit_xml import TestCase, TestSuite, to_xml_report_string

from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.report import ModelReport, source_notes, spend_line, verdict_line


def render_junit(reports: Sequence[ModelReport]) -> str:
    suites = []
    for report in reports:
        by_domain: dict[str, list[TestCase]] = {}
        for name, b in report.benchmarks.items():
            group = report.group(name)  # the domain, or FILE::domain where files share it
            cases = by_domain.setdefault(group, [])
            classname = f"modelgate.{group}.{name}"
            if b.error:
                specs = b.spec.thresholds + b.spec.floors
                for spec in specs:
                    case = TestCase(f"{spec.id}[{report.model}]", classname, b.tally.seconds)
                    case.add_error_info(
                        message="could not be evaluated (fail closed)", output=b.error
                    )
                    cases.append(case)
                continue
            for i, t in enumerate(b.thresholds + b.floors):
                # The benchmark's time belongs to its evaluation, counted once.
                case = TestCase(
                    f"{t.spec.id}[{report.model}]",
                    classname,
                    b.tally.seconds if i == 0 else 0.0,
                    stdout=t.message,
                )
                if t.verdict == Verdict.FAILED:
                    case.add_failure_info(message=t.message, failure_type=t.outcome)
                cases.append(case)
        for domain, cases in by_domain.items():
            d = report.domain_of(domain)
            if d is not None:
                case = TestCase(f"tier[{report.model}]", f"modelgate.{domain}", 0.0)
                if d.errors:
                    case.add_error_info(message=d.failure_message())
                elif not d.passed:
                    case.add_failure_info(message=d.failure_message(), failure_type="tier")
                cases.append(case)
            properties = {
                "model": report.model,
                "allowed": report.release["allowed"],
                "tier": d.tier if d else "incomplete",
            }
            suites.append(TestSuite(f"{domain}[{report.model}]", cases, properties=properties))
        # One check for the whole verdict: red when any gate failed, errored or did not run.
        release = TestCase(f"release[{report.model}]", "modelgate.release", 0.0)
        if not report.release["passed"]:
            release.add_failure_info(message=verdict_line(report), failure_type="release")
        suites.append(
            TestSuite(
                f"release[{report.model}]",
                [release],
                properties={
                    **{k: str(v) for k, v in report.release.items()},
                    "spend": spend_line(report),
                    # where imported figures come from: file, sha256, tool and version
                    **{f"{what}.{name}": text for what, name, text in source_notes(report)},
                },
            )
        )
    return to_xml_report_string(suites, encoding="utf-8")
