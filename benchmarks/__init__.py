"""Benchmarks: runs that measure figures and record them for docs/benchmarks.md (never timed
assertions in tests).

`python -m benchmarks <name> [--write]` measures (and records benchmarks/results/<name>.json);
`python -m benchmarks report` (`make benchmark`) regenerates docs/benchmarks.md from the results
and the hand-written analysis in benchmarks/notes/.
"""
