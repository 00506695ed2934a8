"""Every relative link in every Markdown file resolves: the file (or folder) exists and, for a
`#anchor`, the heading exists in the target. External links are not fetched (no network)."""

from __future__ import annotations

from docs_helpers import REPO_ROOT, commands, github_slugs, links, tracked

MARKDOWN = tracked("*.md")


def broken_links() -> list[str]:
    broken = []
    for doc in MARKDOWN:
        for line, target in links(doc):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (
                doc
                if not path
                else (
                    (REPO_ROOT / path.lstrip("/")) if path.startswith("/") else (doc.parent / path)
                )
            )
            where = f"{doc.relative_to(REPO_ROOT)}:{line}: {target}"
            if not resolved.exists():
                broken.append(f"{where}: no such file")
            elif (
                anchor
                and resolved.suffix == ".md"
                and anchor not in github_slugs(resolved.read_text(encoding="utf-8"))
            ):
                broken.append(f"{where}: no heading with that anchor")
    return broken


def test_the_docs_have_links_to_check():
    assert sum(len(links(doc)) for doc in MARKDOWN) >= 20
    assert REPO_ROOT / "docs" / "architecture.md" in MARKDOWN


def test_every_relative_link_and_anchor_resolves():
    assert broken_links() == []


def test_slugs_and_links_are_read_the_way_github_reads_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# The `make init` step: [a fork](x.md)'s `snake_case` values\n## Roll back\n## Roll back\n"
        "See [a](other.md#x) and ![b](images/x.svg).\n"
        "```bash\nmake nothing  # [not](a-link.md)\n```\n"
        "[ref]: ref.md\n"
    )
    assert github_slugs(page.read_text()) == {
        "the-make-init-step-a-forks-snake_case-values",
        "roll-back",
        "roll-back-1",
    }
    assert [target for _, target in links(page)] == ["x.md", "other.md#x", "images/x.svg", "ref.md"]
    # Commands come from the fenced block, not from prose links.
    page.write_text("Run `make test`.\n```bash\nmake a ENV=dev && make b  # c\n```\n")
    found = [c.words for c in commands_of(page)]
    assert found == [("make", "a", "ENV=dev"), ("make", "b"), ("make", "test")]


def commands_of(page):
    """commands() for a file outside the repository: it reports paths relative to the repo."""
    import docs_helpers

    original = docs_helpers.REPO_ROOT
    docs_helpers.REPO_ROOT = page.parent
    try:
        return commands(page)
    finally:
        docs_helpers.REPO_ROOT = original
