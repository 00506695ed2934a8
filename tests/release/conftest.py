"""tests/release: the first deploy of a fresh fork against a moto server (marked integration:
minutes, so plain `pytest` deselects it here and `make test-integration` selects it)."""

from __future__ import annotations

from pathlib import Path


def pytest_collection_modifyitems(config, items):
    if "integration" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    selected, deselected = [], []
    for item in items:
        in_folder = here in Path(str(item.fspath)).parents
        (deselected if in_folder and item.get_closest_marker("integration") else selected).append(
            item
        )
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
