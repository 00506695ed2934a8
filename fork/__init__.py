"""Fork tooling: `python -m fork init` makes a fork yours (what `make init` runs)."""
