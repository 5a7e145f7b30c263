"""pytest-modelgate's pytest glue: options, hooks, collection routing, reports.

Inert without ``--modelgate``: no items, no network, and nothing heavier than
this module and ``settings`` is imported (``benchmarks/scaling.py`` measures what
that costs a plain ``pytest`` run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_modelgate.plugin.settings import OPTIONS, SettingsError, resolve_settings
from pytest_modelgate.plugin.stash import SESSION_KEY

if TYPE_CHECKING:
    from pytest_modelgate.report.writer import ReportWriter

_HELP = {
    "modelgate": "collect *.gate.yaml / *.gate.yml files and run their gates",
    "modelgate_model": "models: entry (or NAME,NAME) to gate as the candidate (default: candidate)",
    "modelgate_report": "write results.json, summary.md, junit.xml and report.html into DIR",
    "modelgate_record_baseline": "also write the candidate's results as a baseline file",
    "modelgate_record_responses": "also record every answer to PATH, for provider: replay",
    "modelgate_limit": "smoke run: first N items per benchmark; reports say 'smoke'",
    "modelgate_plan": "print items, model calls and minimum detectable differences; query nothing",
    "modelgate_cache": "keep the response cache in DIR (default: inside pytest's cache dir)",
    "modelgate_no_cache": "neither read nor write the response cache",
    "modelgate_cache_reuse": "also serve answers cached by earlier runs that finished "
    "(development only: a release run asks the model again, resuming only an unfinished run)",
    "modelgate_shard": "evaluate shard K of N of every benchmark's items and write partial "
    "results into --modelgate-report DIR; decides nothing (gate items are skipped)",
    "modelgate_merge": "decide the gates from the partials of all N shard runs (each DIR holds "
    "a modelgate-partial.json, or is one) and write the reports; queries no model",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_modelgate.plugin import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelgate", "release-gate AI models (pytest-modelgate)")
    for option, key, kind, _ in OPTIONS:
        flag = "--" + option.replace("_", "-")
        if kind == "flag":
            group.addoption(
                flag, action="store_true", dest=option, default=None, help=_HELP[option]
            )
            parser.addini(key, _HELP[option], type="bool", default=False)
        elif kind == "paths":
            group.addoption(
                flag, dest=option, nargs="+", default=None, metavar="DIR", help=_HELP[option]
            )
            parser.addini(key, _HELP[option], type="args", default=[])
        else:
            metavar = {"int": "N", "path": "PATH", "shard": "K/N"}.get(kind, "NAME")
            group.addoption(flag, dest=option, default=None, metavar=metavar, help=_HELP[option])
            parser.addini(key, _HELP[option], default="")


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = resolve_settings(config.getoption, config.getini, Path(str(config.rootpath)))
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not settings.enabled:
        return
    # `import a.b as c` re-imports a module that pytester's in-process runs dropped from
    # sys.modules; `from a import b` would hand out the first run's copy.
    import pytest_modelgate.plugin.builtins as builtins
    import pytest_modelgate.plugin.xdist as distributed

    if settings.plan and config.getoption("numprocesses", None):
        raise pytest.UsageError("--modelgate-plan queries nothing: run it without -n")
    if settings.merge and config.getoption("numprocesses", None):
        raise pytest.UsageError("--modelgate-merge queries nothing: run it without -n")
    distributed.configure(config)
    from pytest_modelgate.plugin.session import ModelgateSession

    config.pluginmanager.register(builtins, "modelgate-defaults")
    if settings.report_dir is not None and settings.report_dir.is_dir():
        # A report of an earlier run must never stand in for this one's (even one whose
        # writer a conftest.py has since removed).
        from pytest_modelgate.report.writer import builtin_reporters, written_files

        for writer in [*builtin_reporters().values(), *_reporters(config).values()]:
            for stale in written_files(writer, settings.report_dir):
                stale.unlink(missing_ok=True)
        (settings.report_dir / "modelgate-partial.json").unlink(missing_ok=True)
    config.stash[SESSION_KEY] = ModelgateSession(config, settings)
    config.pluginmanager.register(ModelgateReporter(config), "modelgate-reporter")


def _reporters(config: pytest.Config) -> dict[str, ReportWriter]:
    """The report writers the built-ins and any plugin or conftest.py registered."""
    reporters: dict[str, ReportWriter] = {}
    config.hook.pytest_modelgate_add_reporters(reporters=reporters)
    return reporters


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    # The session exists only when the resolved settings enable the plugin (CLI or ini).
    if file_path.name.endswith((".gate.yaml", ".gate.yml")) and SESSION_KEY in parent.config.stash:
        from pytest_modelgate.plugin.collect import GateFile

        return GateFile.from_parent(parent, path=file_path)
    return None


class ModelgateReporter:
    """Plan mode, the terminal table and the report files. Only the process that runs
    the session writes files (not an xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        import pytest_modelgate.plugin.xdist as distributed

        self.distributed = distributed
        self.config = config
        self.reports: list[Any] = []
        self.partial: Path | None = None  # a shard run's partial results file
        self._sent: set[Any] = set()  # on an xdist worker: results already shipped

    @property
    def state(self) -> Any:
        return self.config.stash[SESSION_KEY]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if not self.state.settings.plan:
            return None
        from pytest_modelgate.run.plan import render_plan

        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        for line in render_plan(list(self.state.loaded.values()), self.state.settings.models):
            tr.write_line(line) if tr else print(line)
        return True  # the plan queries nothing: skip running the items

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Before spending anything: say which margins this n cannot resolve."""
        state = self.state
        if state.settings.merge and not state.settings.plan:
            from pytest_modelgate.plugin.shards import prepare_merge

            prepare_merge(state, Path(str(self.config.rootpath)))
            return  # a merge asks no model: no resolution warnings, no progress
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if state.settings.plan or not state.loaded or tr is None:
            return
        state.expect(session.items)
        from pytest_modelgate.run.plan import resolution_warnings

        for line in resolution_warnings(list(state.loaded.values()), state.settings.models):
            tr.write_line(f"modelgate warning: {line}", yellow=True)
        if self.config.get_verbosity() > 0:
            for loaded in state.loaded.values():
                for note in loaded.notes:
                    tr.write_line(f"modelgate: {loaded.gate.path.name}: {note}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        report = yield
        if call.when == "teardown" and self.distributed.is_worker(self.config):
            payload = self.distributed.pack(self.state, self._sent)
            if payload:
                setattr(report, self.distributed.PAYLOAD, payload)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = getattr(report, self.distributed.PAYLOAD, None)
        if payload and not self.distributed.is_worker(self.config):
            self.distributed.unpack(self.state, payload)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = self.state
        # A run that went the whole way seals the answers it used (models/cache.py); one that
        # was interrupted, stopped early or could not evaluate a benchmark leaves them to resume.
        finished = (
            exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
            and not (session.shouldstop or session.shouldfail)
            and state.evaluated_everything()
        )
        if state.settings.plan or self.distributed.is_worker(self.config):
            state.close(finished)
            return
        from pytest_modelgate.report import assemble

        try:
            if state.settings.shard:
                from pytest_modelgate.plugin.shards import write_partial

                self.partial = write_partial(state, Path(str(self.config.rootpath)))
                self._note_shard_in_step_summary()
            elif state._run is not None:
                self.reports = assemble(
                    state.run,
                    list(state.loaded.values()),
                    state.settings.models,
                    smoke=state.settings.limit is not None,
                )
                self._write_files()
        finally:
            state.close(finished)

    def _write_files(self) -> None:
        from pytest_modelgate.report.markdown import render_markdown
        from pytest_modelgate.report.writer import output_files
        from pytest_modelgate.results.document import dump_json, write_text

        settings, redact = self.state.settings, self.state.redact
        if settings.record_baseline and self.reports:
            write_text(settings.record_baseline, redact(dump_json(self.reports[0].results)))
        if settings.report_dir is None or not self.reports:
            return
        out = settings.report_dir
        out.mkdir(parents=True, exist_ok=True)
        # Called now, not at start-up: conftest.py files beside the gate files are loaded.
        texts: dict[str, str] = {}
        for writer in _reporters(self.config).values():
            texts.update(output_files(writer, self.reports))
        for name, text in texts.items():
            write_text(out / name, redact(text))
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            summary = texts.get("summary.md") or render_markdown(self.reports)
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(redact(summary) + "\n")

    def _note_shard_in_step_summary(self) -> None:
        """A shard's job summary says plainly that it is no verdict."""
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary and self.state.settings.shard:
            k, n = self.state.settings.shard
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(
                    f"modelgate shard {k}/{n}: partial results written, no release verdict "
                    "(the merge job decides every gate on all items).\n"
                )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        cache = self.state.cache
        if cache is not None and cache.notice:
            terminalreporter.write_line(cache.notice, yellow=True)
        if self.partial is not None and self.state.settings.shard:
            k, n = self.state.settings.shard
            terminalreporter.section("modelgate")
            terminalreporter.write_line(
                f"shard {k}/{n}: partial results written to {self.partial}; no release "
                f"verdict here: merge all {n} shards with --modelgate-merge"
            )
        if not self.reports:
            return
        from pytest_modelgate.report.terminal import render_terminal

        terminalreporter.section("modelgate")
        verbose = self.config.get_verbosity() > 0
        for line in render_terminal(self.reports, verbose=verbose):
            terminalreporter.write_line(self.state.redact(line))
        settings = self.state.settings
        if settings.report_dir:
            terminalreporter.write_line(f"reports written to {settings.report_dir}/")
        if settings.record_baseline:
            terminalreporter.write_line(f"baseline recorded to {settings.record_baseline}")
