"""Reading the docs as data: their shell commands (fenced bash blocks and inline `make ...`),
their links, and the Make targets that exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)[^\n]*\n(.*?)^\1\2\s*$", re.M | re.S)
SHELL_LANGUAGES = {"bash", "sh", "shell", "console", "zsh"}
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
TARGET_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)(.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tracked(pattern: str) -> list[Path]:
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            pattern,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO_ROOT / name for name in sorted(set(listed)) if (REPO_ROOT / name).is_file()]


def command_docs() -> list[Path]:
    """The docs whose commands are promises: README, CONTRIBUTING and docs/*.md."""
    return [p for p in tracked("*.md") if p.parent == REPO_ROOT / "docs"] + [
        REPO_ROOT / "README.md",
        REPO_ROOT / "CONTRIBUTING.md",
    ]


def without_code(text: str) -> str:
    """The prose of a Markdown file: fenced blocks blanked (line numbers kept)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {' '.join(self.words)}"


def _split(text: str) -> list[list[str]]:
    """Simple commands of a shell line: words, split at && || ; | (comments dropped)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands, current = [], []
    for token in lexer:
        if token and set(token) <= set(";&|"):
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    return [words for words in commands if words]


def commands(path: Path) -> list[Command]:
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(REPO_ROOT))
    found: list[Command] = []
    for match in FENCE.finditer(text):
        if match.group(3).lower() not in SHELL_LANGUAGES:
            continue
        first_line = text.count("\n", 0, match.start(4)) + 1
        body = match.group(4).replace("\\\n", " ")
        for offset, line in enumerate(body.splitlines()):
            line = re.sub(r"^\s*\$ ", "", line)
            for words in _split(line):
                found.append(Command(name, first_line + offset, tuple(words)))
    prose = without_code(text)
    for match in INLINE.finditer(prose):
        code = match.group(1).strip()
        if re.match(r"^(make|python3?|\.venv/bin/python) ", code):
            line = prose.count("\n", 0, match.start()) + 1
            for words in _split(code):
                found.append(Command(name, line, tuple(words)))
    return found


def make_targets_defined() -> dict[str, str]:
    """{target: file} for every rule in Makefile and mk/*.mk."""
    found = {}
    for path in [REPO_ROOT / "Makefile", *sorted((REPO_ROOT / "mk").glob("*.mk"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = TARGET_LINE.match(line)
            if not match or re.match(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*[:+?]?=", match.group(2)):
                continue  # `target: VAR = value` sets a target-specific variable
            found.setdefault(match.group(1), path.name)
    return found


def make_help() -> str:
    return ANSI.sub(
        "",
        subprocess.run(
            ["make", "--no-print-directory", "help"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
    )


def help_targets() -> set[str]:
    return {line.split()[0] for line in make_help().splitlines() if line.startswith("  ")}


def github_slugs(markdown: str) -> set[str]:
    """Anchors GitHub gives the headings of a Markdown file."""
    slugs: set[str] = set()
    seen: dict[str, int] = {}
    for line in without_code(markdown).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))  # a link: its text
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f"{slug}-{count}")
    return slugs


LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M)


def links(path: Path) -> list[tuple[int, str]]:
    prose = INLINE.sub(lambda m: " " * len(m.group(0)), without_code(path.read_text("utf-8")))
    found = []
    for pattern in (LINK, REFERENCE):
        for match in pattern.finditer(prose):
            found.append((prose.count("\n", 0, match.start()) + 1, match.group(1)))
    return found
