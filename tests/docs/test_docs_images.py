"""docs/images/ is what `make docs-images` draws today: the architecture pictures from
pipeline_graph/architecture.py and the pipeline from dev's generated definition. A changed step
or diagram without regenerated pictures fails here."""

from __future__ import annotations

import json

from docs_helpers import REPO_ROOT, links, tracked

from pipeline_graph.docs_images import architecture_images, pipeline_image

IMAGES = REPO_ROOT / "docs" / "images"
REGENERATE = "out of date: run `make docs-images` and commit docs/images/"


def test_architecture_pictures_are_current():
    for name, text in architecture_images().items():
        assert (IMAGES / name).is_file(), f"docs/images/{name} missing: {REGENERATE}"
        assert (IMAGES / name).read_text(
            encoding="utf-8"
        ) == text, f"docs/images/{name} {REGENERATE}"


def test_the_pipeline_picture_is_current(generated_definition):
    definition = json.loads(generated_definition("dev"))
    assert (IMAGES / "pipeline.svg").read_text(encoding="utf-8") == pipeline_image(
        definition
    ), f"docs/images/pipeline.svg {REGENERATE}"


def test_every_picture_is_shown_somewhere_and_nothing_stale_is_kept():
    expected = {*architecture_images(), "pipeline.svg"}
    assert {p.name for p in IMAGES.glob("*.svg")} == expected
    shown = {
        (doc.parent / target).resolve().name
        for doc in tracked("*.md")
        for _, target in links(doc)
        if target.endswith(".svg")
    }
    assert expected <= shown, f"not linked from any doc: {sorted(expected - shown)}"
