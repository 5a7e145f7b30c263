"""Orchestration: load a gate file's parts, evaluate each benchmark once (solvers, scorers,
the LLM judge, the sandbox), and hand the evidence to ``decide``.
"""
