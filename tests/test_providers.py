"""The anthropic, python and replay providers: whole gate runs against a loopback
Anthropic server, an in-process Python model and a recording, plus unit tests of
what each provider accepts and refuses."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from anthropic_server import AnthropicServer
from conftest import mcq_rows, write_jsonl
from openai_server import scripted_reply

from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.provider import Completion, ProviderContext, ProviderError, request_key
from pytest_modelgate.models.providers.anthropic import (
    AnthropicProvider,
    messages_body,
    usage_fields,
)
from pytest_modelgate.models.providers.python import PythonFunctionProvider
from pytest_modelgate.models.providers.replay import (
    ReplayProvider,
    ResponseRecorder,
    load_recording,
)

SECRET = "sk-ant-modelgate-test-5e2b9c"
PEER_70 = "baselines:\n  peer:\n    scores: {toy-mcq: {score: 0.70, n: 1000}}"


def gate(model: str, *, fmt: str = "mcq") -> str:
    """A gate whose candidate entry is ``model`` (indented YAML lines); 0.7 is the bar."""
    return f"""
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate:
{model}
{PEER_70}
domains:
  cybersecurity:
    benchmarks:
      toy-mcq:
        dataset: data/mcq.jsonl
        format: {fmt}
        scorer: choice
        thresholds:
          - {{above: ecosystem, margin: 0.02, tier: high}}
"""


def anthropic_model(url: str, extra: str = "") -> str:
    return f"""\
    provider: anthropic
    base_url: {url}
    model: claude-toy
    api_key_env: TOY_ANTHROPIC_KEY
    params: {{temperature: 0, max_tokens: 4, seed: 0}}
    max_retries: 1
{extra}"""


# A format like mcq that also sends a system prompt, added the way users add formats.
SYSTEM_FORMAT_CONFTEST = """
import dataclasses
from pytest_modelgate.data.formats import mcq_item

def pytest_modelgate_add_formats(formats):
    def with_system(row, item_id):
        item = mcq_item(row, item_id)
        system = {"role": "system", "content": "You are terse."}
        return dataclasses.replace(item, messages=(system,) + item.messages)
    formats["mcq-system"] = with_system
"""


@pytest.fixture
def anthropic_server() -> Iterator[Callable[..., AnthropicServer]]:
    """Start ``AnthropicServer(**options)`` on 127.0.0.1; each one is stopped after the test."""
    started: list[AnthropicServer] = []

    def start(**options: Any) -> AnthropicServer:
        server = AnthropicServer(**options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def everything_written(pytester: pytest.Pytester, result: pytest.RunResult) -> bytes:
    """The run's terminal output and every file under the test directory, as bytes."""
    files = [p.read_bytes() for p in pytester.path.rglob("*") if p.is_file()]
    output = "\n".join(result.outlines + result.errlines).encode()
    return b"\n".join([output, *files])


def spec(provider: str, **fields: Any) -> ModelSpec:
    return ModelSpec(name="candidate", provider=provider, **fields)


def context(tmp_path: Path) -> ProviderContext:
    return ProviderContext(tmp_path)


# --- anthropic: whole gate runs ---------------------------------------------------


def test_anthropic_gate_scores_answers_with_the_system_prompt_moved_and_the_key_kept_secret(
    pytester, anthropic_server, write_gate, monkeypatch
):
    monkeypatch.setenv("TOY_ANTHROPIC_KEY", SECRET)
    server = anthropic_server(require_key=SECRET)
    pytester.makeconftest(SYSTEM_FORMAT_CONFTEST)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=10))
    write_gate(gate(anthropic_model(server.base_url), fmt="mcq-system"))
    result = pytester.runpytest(
        "--modelgate", "-v", "--modelgate-report", "out", "--junitxml", "junit.xml"
    )
    result.assert_outcomes(passed=2)
    assert "Release gate PASS" in result.stdout.str()
    assert len(server.requests) == 40
    for request, headers in zip(server.requests, server.headers_seen, strict=True):
        assert request["system"] == "You are terse."
        assert [m["role"] for m in request["messages"]] == ["user"]
        assert request["model"] == "claude-toy" and request["max_tokens"] == 4
        assert "seed" not in request  # the Messages API has none
        assert headers["x-api-key"] == SECRET and headers["anthropic-version"] == "2023-06-01"
        assert "Authorization" not in headers
    results = json.loads((pytester.path / "out/results.json").read_text())
    bench = results["benchmarks"]["toy-mcq"]
    assert bench["score"] == 0.25
    assert bench["usage"]["input_tokens"] == bench["usage"]["prompt_tokens"] == 12 * 40
    assert bench["usage"]["total_tokens"] == 15 * 40
    assert results["candidate"]["provider"] == "anthropic"
    assert SECRET.encode() not in everything_written(pytester, result)


def test_anthropic_key_echoed_by_the_server_is_redacted(
    pytester, anthropic_server, write_gate, monkeypatch
):
    monkeypatch.setenv("TOY_ANTHROPIC_KEY", SECRET)
    server = anthropic_server(require_key="sk-ant-the-right-one")  # 401 quoting our key
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    write_gate(gate(anthropic_model(server.base_url)))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    assert f"model 'candidate' at {server.base_url}/v1/messages: HTTP 401:" in out
    assert "invalid x-api-key \\'***\\'" in out
    assert SECRET.encode() not in everything_written(pytester, result)


def test_anthropic_429_and_529_are_retried_after_retry_after(
    pytester, anthropic_server, write_gate, monkeypatch
):
    monkeypatch.setenv("TOY_ANTHROPIC_KEY", SECRET)
    server = anthropic_server(statuses=[429, 529], retry_after="0")
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    model = anthropic_model(server.base_url, "    concurrency: 1")
    write_gate(gate(model.replace("max_retries: 1", "max_retries: 2")))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(passed=2)
    assert len(server.requests) == 5 + 2


# --- anthropic: units ---------------------------------------------------------------


def test_messages_body_moves_every_system_message_and_leaves_out_seed():
    messages = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Answer in English."},
    ]
    body = messages_body("m", messages, {"max_tokens": 8, "seed": 3, "temperature": 0})
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 8,
        "temperature": 0,
        "system": "Be terse.\n\nAnswer in English.",
    }
    assert "system" not in messages_body("m", messages[1:2], {"max_tokens": 8})


def test_usage_fields_keep_anthropic_names_and_add_openai_names():
    usage = {"input_tokens": 7, "output_tokens": 2, "cache_read_input_tokens": 1, "x": "y"}
    assert usage_fields(usage) == {
        "input_tokens": 7,
        "output_tokens": 2,
        "cache_read_input_tokens": 1,
        "prompt_tokens": 7,
        "completion_tokens": 2,
        "total_tokens": 9,
    }
    assert usage_fields(None) == {}


@pytest.mark.parametrize("params", [{}, {"max_tokens": 0}, {"max_tokens": "16"}])
def test_anthropic_refuses_a_model_entry_without_max_tokens(tmp_path, params):
    with pytest.raises(ProviderError, match="requires max_tokens.*params: {max_tokens: 256}"):
        AnthropicProvider(spec("anthropic", params=params), context(tmp_path))


def test_anthropic_key_with_a_line_break_errors_without_showing_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_ANTHROPIC_KEY", SECRET + "\n")
    entry = spec("anthropic", api_key_env="TOY_ANTHROPIC_KEY", params={"max_tokens": 4})
    with pytest.raises(ProviderError, match="line break") as raised:
        AnthropicProvider(entry, context(tmp_path))
    assert SECRET not in str(raised.value)
    monkeypatch.delenv("TOY_ANTHROPIC_KEY")
    with pytest.raises(ProviderError, match="TOY_ANTHROPIC_KEY .named by api_key_env. is not set"):
        AnthropicProvider(entry, context(tmp_path))


@pytest.mark.parametrize(
    "base_url, url",
    [
        (None, "https://api.anthropic.com/v1/messages"),
        ("https://proxy.example/v1", "https://proxy.example/v1/messages"),
        ("https://proxy.example/anthropic/", "https://proxy.example/anthropic/v1/messages"),
    ],
)
def test_anthropic_url(tmp_path, base_url, url):
    provider = AnthropicProvider(
        spec("anthropic", base_url=base_url, params={"max_tokens": 4}), context(tmp_path)
    )
    assert provider.url == url
    assert provider.describe()["base_url"] == url.removesuffix("/v1/messages")


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "malformed response: 'not json'"),
        ('{"content": "text"}', "malformed response"),
        ('{"content": [{"type": "text", "text": 5}]}', "malformed response"),
        ('{"content": [{"type": "tool_use", "input": {}}]}', "empty or non-text content"),
        ('{"content": [{"type": "text", "text": "  "}]}', "empty or non-text content"),
    ],
)
def test_anthropic_malformed_responses_error_with_the_snippet(
    tmp_path, anthropic_server, body, message
):
    server = anthropic_server(body=body)
    entry = spec("anthropic", base_url=server.base_url, params={"max_tokens": 4}, max_retries=0)
    provider = AnthropicProvider(entry, context(tmp_path))
    with pytest.raises(ProviderError, match=message):
        provider.complete([{"role": "user", "content": "Hi"}], {"max_tokens": 4})


# --- python -------------------------------------------------------------------------

TOY_MODEL = """
def answer(messages, params):
    assert params["max_tokens"] == 4
    import re
    said = re.search(r"<<reply:(.*?)>>", messages[-1]["content"]).group(1)
    return {"text": said, "usage": {"prompt_tokens": 5, "completion_tokens": 1}}

def broken(messages, params):
    raise RuntimeError("CUDA out of memory")
"""


def python_model(target: str) -> str:
    return f"""\
    provider: python
    model: "{target}"
    params: {{max_tokens: 4}}
    concurrency: 2"""


def test_python_gate_scores_the_function_answers(pytester, write_gate):
    pytester.makepyfile(toy_model_ok=TOY_MODEL)
    pytester.syspathinsert()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=10))
    write_gate(gate(python_model("toy_model_ok:answer")))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy-mcq"]
    assert bench["score"] == 0.25
    assert bench["usage"] == {"prompt_tokens": 200, "completion_tokens": 40}


def test_python_function_that_raises_errors_the_items_without_a_traceback(pytester, write_gate):
    pytester.makepyfile(toy_model_broken=TOY_MODEL)
    pytester.syspathinsert()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    write_gate(gate(python_model("toy_model_broken:broken")))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    assert (
        "model 'candidate' (toy_model_broken:broken) raised RuntimeError: CUDA out of memory" in out
    )
    assert "Traceback" not in out and 'raise RuntimeError("CUDA' not in out


@pytest.fixture
def toy_module(tmp_path, monkeypatch) -> str:
    """A module of model functions on sys.path; its (unique) name is returned."""
    name = f"toy_model_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(
        TOY_MODEL
        + """
NOT_A_FUNCTION = 3

def echo(messages, params):
    messages[0]["content"] = "changed"  # must not reach the caller's copy
    params["max_tokens"] = 99
    return messages[-1]["role"]

def returns(value):
    return lambda messages, params: value
number, none, empty = returns(7), returns(None), returns("  ")
no_text, bad_usage = returns({"usage": {}}), returns({"text": "A", "usage": {"tokens": "1"}})
"""
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


@pytest.mark.parametrize(
    "target, message",
    [
        ("toy_module", "needs model: 'package.module:function', got 'toy_module'"),
        ("no_such_module_xyz:f", "cannot import 'no_such_module_xyz'.*ModuleNotFoundError"),
        ("{mod}:missing", "module '{mod}' has no attribute 'missing'"),
        ("{mod}:NOT_A_FUNCTION", "'{mod}:NOT_A_FUNCTION' is a int, not a function"),
    ],
)
def test_python_provider_refuses_what_it_cannot_import(tmp_path, toy_module, target, message):
    target = target.format(mod=toy_module)
    with pytest.raises(ProviderError, match=message.format(mod=toy_module)):
        PythonFunctionProvider(spec("python", model=target), context(tmp_path))


def test_python_provider_refuses_http_settings(tmp_path, toy_module):
    entry = spec("python", model=f"{toy_module}:echo", base_url="http://127.0.0.1:1")
    with pytest.raises(ProviderError, match="does not use base_url"):
        PythonFunctionProvider(entry, context(tmp_path))


@pytest.mark.parametrize(
    "function, message",
    [
        ("number", "returned int 7; expected a str, or a dict"),
        ("none", "returned NoneType None"),
        ("empty", "returned an empty answer"),
        ("no_text", "returned a dict whose 'text' is None"),
        ("bad_usage", "returned usage {'tokens': '1'}"),
    ],
)
def test_python_provider_refuses_answers_that_are_not_text(tmp_path, toy_module, function, message):
    provider = PythonFunctionProvider(
        spec("python", model=f"{toy_module}:{function}"), context(tmp_path)
    )
    with pytest.raises(ProviderError, match=f"model 'candidate' .*{message}"):
        provider.complete([{"role": "user", "content": "Q"}], {})


def test_python_function_gets_copies_of_messages_and_params(tmp_path, toy_module):
    provider = PythonFunctionProvider(spec("python", model=f"{toy_module}:echo"), context(tmp_path))
    messages, params = ({"role": "user", "content": "Q"},), {"max_tokens": 4}
    assert provider.complete(messages, params) == Completion("user", {})
    assert messages[0]["content"] == "Q" and params == {"max_tokens": 4}


# --- replay -------------------------------------------------------------------------

OPENAI_MODEL = """\
    provider: openai
    base_url: {url}
    model: toy
    params: {{temperature: 0, max_tokens: 4, seed: 7}}"""
REPLAY_MODEL = """\
    provider: replay
    model: toy
    params: {temperature: 0, max_tokens: 4, seed: 7}
    options: {file: recordings/toy.jsonl}"""


def record_what_the_server_answered(path: Path, server: Any) -> None:
    """A recording of every request the server answered, as the engine would write it."""
    with ResponseRecorder(path) as recorder:
        for request in server.requests:
            params = {k: v for k, v in request.items() if k not in ("model", "messages")}
            text = scripted_reply(request["messages"])
            usage = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
            recorder.record("openai", "toy", params, request["messages"], Completion(text, usage))


def test_replay_reproduces_the_recorded_run_offline(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=6))
    write_gate(gate(OPENAI_MODEL.format(url=server.base_url)))
    original = pytester.runpytest("--modelgate", "--modelgate-report", "first")
    original.assert_outcomes(passed=2)
    record_what_the_server_answered(pytester.path / "recordings/toy.jsonl", server)
    server.stop()  # the replay must not need it

    write_gate(gate(REPLAY_MODEL))
    replayed = pytester.runpytest("--modelgate", "--modelgate-report", "second")
    replayed.assert_outcomes(passed=2)
    first, second = (
        json.loads((pytester.path / d / "results.json").read_text()) for d in ("first", "second")
    )
    for name in ("items", "score", "ci", "n", "usage", "thresholds"):
        assert second["benchmarks"]["toy-mcq"][name] == first["benchmarks"]["toy-mcq"][name]
    assert second["release"] == first["release"]
    assert second["candidate"]["provider"] == "replay"
    assert second["candidate"]["replays"] == "openai"
    assert second["candidate"]["recording"] == "recordings/toy.jsonl"


def test_replay_of_a_request_not_in_the_recording_errors(pytester, write_gate):
    rows = mcq_rows(6, correct=3)
    write_jsonl(pytester.path / "data/mcq.jsonl", rows)
    with ResponseRecorder(pytester.path / "recordings/toy.jsonl") as recorder:
        for row in rows[:5]:  # the sixth item was never recorded
            messages = [{"role": "user", "content": row["question"]}]
            recorder.record("openai", "toy", {}, messages, Completion("A"))
    write_gate(gate(REPLAY_MODEL))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    recording = pytester.path / "recordings/toy.jsonl"
    assert f"request not in the recording {recording} (openai/toy, 5 answers): record again" in (
        result.stdout.str()
    )


MESSAGES = [{"role": "user", "content": "Q?"}]


def test_recorder_lines_hold_the_request_key_and_survive_many_threads(tmp_path):
    path = tmp_path / "deep/rec.jsonl"
    recorder = ResponseRecorder(path)

    def write(thread: int) -> None:
        for i in range(50):
            messages = [{"role": "user", "content": f"{thread}-{i} " + "x" * 5000}]
            recorder.record("openai", "m", {"seed": 0}, messages, Completion(f"a{thread}-{i}"))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(path.read_text().splitlines()) == 400  # flushed per line: readable while open
    recorder.close()
    recorder.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        recorder.record("openai", "m", {}, MESSAGES, Completion("A"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    first = lines[0]
    assert first["key"] == request_key("openai", "m", {"seed": 0}, first["messages"])
    assert set(first) == {"key", "provider", "model", "params", "messages", "text", "usage"}
    answers = load_recording(path).answers[("openai", "m")]
    assert sorted(c.text for c in answers.values()) == sorted(line["text"] for line in lines)


def write_recording(path: Path, *answers: tuple[str, str | None, str]) -> Path:
    with ResponseRecorder(path) as recorder:
        for provider, model, text in answers:
            recorder.record(provider, model, {}, MESSAGES, Completion(text, {"total_tokens": 3}))
    return path


def replay(tmp_path: Path, file: str = "rec.jsonl", **fields: Any) -> ReplayProvider:
    options = {"file": file, **fields.pop("options", {})}
    return ReplayProvider(spec("replay", options=options, **fields), context(tmp_path))


def test_replay_picks_the_recorded_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_recording(tmp_path / "rec.jsonl", ("openai", "a", "from a"), ("anthropic", "b", "from b"))
    with pytest.raises(ProviderError, match="several models .anthropic/b, openai/a.; name one"):
        replay(tmp_path)
    with pytest.raises(ProviderError, match="no answers of \\*/c; it holds anthropic/b, openai/a"):
        replay(tmp_path, model="c")
    chosen = replay(tmp_path, model="b")
    assert chosen.complete(MESSAGES, {}) == Completion("from b", {"total_tokens": 3})
    assert chosen.describe()["model"] == "b" and chosen.describe()["replays"] == "anthropic"
    with pytest.raises(ProviderError, match="not in the recording"):
        chosen.complete(MESSAGES, {"seed": 1})  # other params: another request
    assert replay(tmp_path, options={"provider": "openai"}).identity == ("openai", "a")


def test_replay_alone_in_the_file_needs_no_model_and_later_lines_win(tmp_path):
    path = write_recording(tmp_path / "rec.jsonl", ("local", None, "old"), ("local", None, "new"))
    provider = replay(tmp_path, file=str(path))  # absolute: the directory does not matter
    assert provider.complete(MESSAGES, {}).text == "new"


def test_replay_skips_a_line_cut_by_a_killed_run_but_refuses_a_wrong_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_recording(tmp_path / "rec.jsonl", ("openai", "a", "A"))
    with path.open("a") as f:
        f.write('{"key": "abc", "provider": "op')  # the recording run was killed here
    assert replay(tmp_path).complete(MESSAGES, {}).text == "A"
    with ResponseRecorder(path) as recorder:  # the rerun appends after the cut line
        recorder.record("openai", "a", {"seed": 1}, MESSAGES, Completion("B"))
    assert path.read_text().splitlines()[1:] == [
        '{"key": "abc", "provider": "op',
        json.dumps(
            {
                "key": request_key("openai", "a", {"seed": 1}, MESSAGES),
                "provider": "openai",
                "model": "a",
                "params": {"seed": 1},
                "messages": MESSAGES,
                "text": "B",
                "usage": {},
            }
        ),
    ]
    provider = replay(tmp_path)
    assert provider.complete(MESSAGES, {"seed": 1}).text == "B"
    with pytest.raises(ProviderError, match="2 answers, 1 cut lines skipped"):
        provider.complete(MESSAGES, {"seed": 2})
    with path.open("a") as f:
        f.write('{"provider": "openai", "model": "a", "params": {}, "messages": []}\n')
    with pytest.raises(ProviderError, match=f"{path}:4: not a recorded answer .text must be a "):
        replay(tmp_path)


def test_replay_refuses_bad_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProviderError, match="needs the recording in options"):
        ReplayProvider(spec("replay"), context(tmp_path))
    with pytest.raises(ProviderError, match="unknown replay option.s. path; valid: file, provider"):
        replay(tmp_path, options={"path": "x"})
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(ProviderError, match=f"recording not found: {missing} .options.file"):
        replay(tmp_path, file="missing.jsonl")
    (tmp_path / "rec.jsonl").write_text("")
    with pytest.raises(ProviderError, match="holds no answers"):
        replay(tmp_path)
