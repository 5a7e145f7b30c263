"""The built-in solvers, one module each; ``generate`` (one call) lives with the contract."""

from __future__ import annotations

from pytest_modelgate.run.solver import Solver, generate


def builtin_solvers() -> dict[str, Solver]:
    from pytest_modelgate.run.solvers.honesty import honesty
    from pytest_modelgate.run.solvers.react import react

    return {"generate": generate, "honesty": honesty, "react": react}
