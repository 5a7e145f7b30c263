"""The ``code`` scorer's runner: the item's tests in one process, the answer's code in another.

Run in the sandbox as ``python -I -c <this file's text> ENTRY_POINT`` in a work dir holding
``solution.py`` and ``tests.py``. Its exit status is the verdict: 0 only when every test ran
and passed. The answer's code never runs in this process, so it cannot print, patch or exit
its way to a pass: this process reads the tests (and snapshots the work dir's modules they
may import) before the solution starts, makes itself non-dumpable (no ptrace, no
``/proc/<pid>/mem`` by the same user), then forks the solution's process and talks to it over
a pipe. Plain data (None, bool, int, float, complex, str, bytes, list, tuple, set, dict)
crosses as tagged JSON and is rebuilt here as plain objects; anything else stays a remote
handle that can be called, indexed, iterated and read, but compares only by identity, so no
object of the solution's decides an ``==`` or an ``assert``. Exceptions come back as builtin
exception types with their message (never SystemExit or KeyboardInterrupt).

Stdlib only and self-contained: its text is what runs (the package is not in the sandbox).
"""

import builtins
import ctypes
import importlib.abc
import importlib.util
import json
import numbers
import os
import sys

PASSED, FAILED, BROKEN = 0, 1, 3


# --- plain data as tagged JSON ------------------------------------------------------


def encode(value, to_handle):
    """``value`` as JSON-able data; what is not plain data becomes a handle number through
    ``to_handle``. (In the solution's process what it sends is never trusted, only decoded:
    the coercions of subclasses there are for honest answers, numpy's integers and the like.)"""
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value).__name__ == "bool_":  # numpy's booleans: not bool, not Integral
        return bool(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real):
        return {"f": repr(float(value))}
    if isinstance(value, str):
        return str.__str__(value)
    for kind, tag in ((list, "l"), (tuple, "t"), (set, "s"), (frozenset, "z")):
        if isinstance(value, kind):
            return {tag: [encode(v, to_handle) for v in kind.__iter__(value)]}
    if isinstance(value, dict):
        pairs = dict.items(value)
        return {"d": [[encode(k, to_handle), encode(v, to_handle)] for k, v in pairs]}
    if isinstance(value, bytes):
        return {"b": bytes.hex(value)}
    if isinstance(value, complex):
        return {"c": [complex.__complex__(value).real, complex.__complex__(value).imag]}
    return {"h": to_handle(value)}


def decode(data, make_handle):
    """Tagged JSON back to plain objects; a handle through ``make_handle``. Anything else
    (a forged tag, a wrong type) raises ValueError."""
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError("not a value")
    ((tag, body),) = data.items()
    if tag == "f":
        return float(str(body))
    if tag in ("l", "t", "s", "z"):
        items = [decode(v, make_handle) for v in _list(body)]
        return {"l": list, "t": tuple, "s": set, "z": frozenset}[tag](items)
    if tag == "d":
        return {decode(k, make_handle): decode(v, make_handle) for k, v in map(_pair, body)}
    if tag == "b":
        return bytes.fromhex(str(body))
    if tag == "c":
        real, imag = _pair(body)
        return complex(float(real), float(imag))
    if tag == "h":
        return make_handle(int(body))
    raise ValueError(f"unknown tag {tag!r}")


def _list(body):
    if type(body) is not list:
        raise ValueError("not a list")
    return body


def _pair(body):
    pair = _list(body)
    if len(pair) != 2:
        raise ValueError("not a pair")
    return pair


# --- the solution's process: serves requests, never decides anything --------------------


def serve(read_fd, write_fd):
    module = type(sys)("solution")
    handles = [module]  # handle 0: the module, as the tests' `solution`

    def keep(value):
        handles.append(value)
        return len(handles) - 1

    sys.modules["solution"] = module
    sys.path.insert(0, "")  # the solution may import the item's files
    incoming, outgoing = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")

    def reply(what):
        outgoing.write(json.dumps(what) + "\n")
        outgoing.flush()

    try:
        exec(compile(open("solution.py").read(), "solution.py", "exec"), module.__dict__)
        reply({"ok": encode(sorted(k for k in module.__dict__ if not k.startswith("__")), keep)})
    except BaseException as exc:  # noqa: BLE001 - whatever it raised is the answer
        reply({"raise": [type(exc).__name__, str(exc)[:2000]]})
        os._exit(0)
    for line in incoming:
        request = json.loads(line)
        try:
            target = handles[request["h"]]
            op = request["op"]
            args = [decode(a, handles.__getitem__) for a in request.get("args", [])]
            if op == "getattr":
                result = getattr(target, args[0])
            elif op == "call":
                kwargs = dict(zip(args[1], args[2], strict=True))
                result = target(*args[0], **kwargs)
            elif op == "getitem":
                result = target[args[0]]
            elif op == "list":
                result = list(target)
            elif op == "len":
                result = len(target)
            elif op == "repr":
                result = repr(target)
            else:
                raise ValueError(f"unknown operation {op!r}")
            reply({"ok": encode(result, keep)})
        except BaseException as exc:  # noqa: BLE001 - the tests decide what it means
            reply({"raise": [type(exc).__name__, str(exc)[:2000]]})
    os._exit(0)


# --- this process: the tests, against handles ------------------------------------------


class Remote:
    """Something of the solution's that is not plain data: usable, never trusted."""

    __slots__ = ("_channel", "_handle")

    def __init__(self, channel, handle):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_handle", handle)

    def _ask(self, op, *args):
        return self._channel.ask(self._handle, op, args)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name)

    def __call__(self, *args, **kwargs):
        return self._ask("call", list(args), list(kwargs), list(kwargs.values()))

    def __getitem__(self, key):
        return self._ask("getitem", key)

    def __iter__(self):
        return iter(self._ask("list"))

    def __len__(self):
        return self._ask("len")

    def __repr__(self):
        return f"<solution object {self._ask('repr')}>"

    __eq__ = object.__eq__  # identity: a remote object never decides a comparison
    __hash__ = object.__hash__

    def __bool__(self):  # nor an assert: `assert f(7)` needs f to return plain data
        raise TypeError("an object of the solution's has no truth value in the tests")


class Channel:
    def __init__(self, read_fd, write_fd):
        self.incoming, self.outgoing = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")

    def receive(self):
        line = self.incoming.readline()
        if not line:
            raise RuntimeError("the solution's process ended")
        answer = json.loads(line)
        if type(answer) is not dict or len(answer) != 1:
            raise RuntimeError("the solution's process sent no answer")
        if "raise" in answer:
            name, message = _pair(answer["raise"])
            kind = getattr(builtins, str(name), None)
            safe = isinstance(kind, type) and issubclass(kind, Exception)
            raise (kind if safe else RuntimeError)(f"{message}" if safe else f"{name}: {message}")
        return decode(answer["ok"], lambda h: Remote(self, h))

    def ask(self, handle, op, args):
        sent = [encode(a, _handle_of) for a in args]
        self.outgoing.write(json.dumps({"h": handle, "op": op, "args": sent}) + "\n")
        self.outgoing.flush()
        return self.receive()


def _handle_of(value):
    """The tests pass the solution plain data, or a handle it gave them; nothing else."""
    if isinstance(value, Remote):
        return object.__getattribute__(value, "_handle")
    raise TypeError(f"cannot pass {type(value).__name__} to the solution's process")


class Snapshot(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The work dir's modules as they were before the solution ran (it may rewrite them)."""

    def __init__(self):
        self.sources = {}
        for name in os.listdir("."):
            if name.endswith(".py") and name not in ("solution.py", "tests.py"):
                with open(name) as f:
                    self.sources[name[:-3]] = f.read()

    def find_spec(self, name, path=None, target=None):
        if name in self.sources:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.sources[module.__name__], f"{module.__name__}.py", "exec"), vars(module))


def main(entry):
    tests = compile(open("tests.py").read(), "tests.py", "exec")
    sys.meta_path.insert(0, Snapshot())
    try:  # PR_SET_DUMPABLE 0: the solution's process may not trace or read this one
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        return BROKEN
    requests_r, requests_w = os.pipe()  # tests -> solution
    answers_r, answers_w = os.pipe()  # solution -> tests
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(requests_w)
            os.close(answers_r)
            serve(requests_r, answers_w)
        finally:
            os._exit(0)  # never back into the tests' code
    os.close(requests_r)
    os.close(answers_w)
    channel = Channel(answers_r, requests_w)
    names = channel.receive()  # the solution ran: what it defined
    module = Remote(channel, 0)
    sys.modules["solution"] = module  # `from solution import f` in the tests: remote too
    ns = {"__name__": "tests"}
    ns.update({name: getattr(module, name) for name in names})
    exec(tests, ns)
    if entry and callable(ns.get("check")):
        ns["check"](ns[entry])
    return PASSED


if __name__ == "__main__":
    try:
        verdict = main(sys.argv[1] if len(sys.argv) > 1 else "")
    except BaseException as exc:  # noqa: BLE001 - a failed test, or the solution's doing
        print(f"FAILED: {type(exc).__name__}: {exc}"[:2000], file=sys.stderr)
        verdict = FAILED
    sys.stdout.flush()
    os._exit(verdict)
