"""Benchmarks: scripts that print figures for docs/benchmarks.md (never timed assertions in tests).

`python -m benchmarks definition|training|local [options]`; `make benchmark` runs the quick ones.
"""
