"""results.json (written by every run, read back as a baseline) and the importers of other
tools' result files (Inspect logs, lm-eval outputs).
"""
